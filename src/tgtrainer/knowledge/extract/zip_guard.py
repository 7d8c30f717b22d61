"""Opening a zipped document (DOCX, EPUB) only if it unpacks to a size we accept: a few
kilobytes of zip can unpack to gigabytes."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tgtrainer.knowledge.errors import DocumentTooLargeError, UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits


def open_zip(path: Path, limits: Limits, what: str) -> zipfile.ZipFile:
    """The archive at `path`, once its declared unpacked size is within
    `limits.max_unpacked_bytes`; `what` names the document in the sentence ("DOCX document")."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnreadableDocumentError(
            f"This file is not a readable {what}; it may be damaged."
        ) from error
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_unpacked_bytes:
        archive.close()
        raise DocumentTooLargeError(
            f"This {what} unpacks to {unpacked // 2**20} MB, more than the "
            f"{limits.max_unpacked_bytes // 2**20} MB I accept."
        )
    return archive
