"""Opening a zipped document (DOCX, EPUB) only if it unpacks to a size we accept: a few
kilobytes of zip can unpack to gigabytes.

The sizes an archive declares may lie (a member that claims 60 KB and inflates to 1 GB), so
besides the cheap check of the declared sizes every member is inflated once, in small pieces,
counting the bytes that actually come out, and the archive is refused as soon as they pass the
limit: memory stays at one piece whatever the archive holds.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from tgtrainer.knowledge.errors import DocumentTooLargeError, UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits

PIECE_BYTES = 64 * 1024
"""Compressed bytes read, and at most uncompressed bytes produced, per step."""
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra field lengths
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1


def open_zip(path: Path, limits: Limits, what: str) -> zipfile.ZipFile:
    """The archive at `path`, once both its declared and its actual unpacked size are within
    `limits.max_unpacked_bytes`; `what` names the document in the sentence ("DOCX document")."""
    damaged = UnreadableDocumentError(f"This file is not a readable {what}; it may be damaged.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise damaged from error
    try:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > limits.max_unpacked_bytes:
            raise DocumentTooLargeError(
                f"This {what} unpacks to {unpacked // 2**20} MB, more than the "
                f"{limits.max_unpacked_bytes // 2**20} MB I accept."
            )
        with path.open("rb") as raw:
            _measure(raw, archive.infolist(), limits, what, damaged)
    except BaseException:
        archive.close()
        raise
    return archive


def _measure(
    raw: BinaryIO,
    members: list[zipfile.ZipInfo],
    limits: Limits,
    what: str,
    damaged: UnreadableDocumentError,
) -> None:
    """Inflate every member piece by piece, refusing the archive once the bytes that come out
    pass the limit (whatever the headers say)."""
    budget = limits.max_unpacked_bytes
    for info in members:
        if info.flag_bits & _ENCRYPTED or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise damaged  # DOCX and EPUB use only these two; nothing else is read
        try:
            budget -= _inflated_size(raw, info, budget)
        except (zlib.error, struct.error, OSError) as error:
            raise damaged from error
        if budget < 0:
            raise DocumentTooLargeError(
                f"This {what} unpacks to more than the {limits.max_unpacked_bytes // 2**20} MB "
                "I accept."
            )


def _inflated_size(raw: BinaryIO, info: zipfile.ZipInfo, budget: int) -> int:
    """How many bytes `info` really unpacks to, counted up to `budget` + 1 (then it stops)."""
    raw.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != _LOCAL_SIGNATURE:
        raise zlib.error("no local file header where the directory points")
    raw.seek(name_length + extra_length, 1)
    left = info.compress_size  # what zipfile itself would feed the decompressor
    if info.compress_type == zipfile.ZIP_STORED:
        return left
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    while produced <= budget and not inflater.eof:
        data = inflater.unconsumed_tail
        if not data:
            if left <= 0:
                break
            data = raw.read(min(PIECE_BYTES, left))
            if not data:
                break
            left -= len(data)
        produced += len(inflater.decompress(data, PIECE_BYTES))
    return produced
