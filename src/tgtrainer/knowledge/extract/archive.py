"""ZIP archives of documents: what they hold, and one member unpacked at a time.

The archive is opened through `zip_guard` (refused when it declares more than
`limits.max_unpacked_bytes` unpacked), and a member is copied out in blocks that stop at
`limits.max_bytes`: a member's declared size is not trusted. Which members are learned, and
under which names, is for the caller (`core.teaching`) to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tgtrainer.knowledge.errors import DocumentTooLargeError, UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits
from tgtrainer.knowledge.extract.zip_guard import open_zip

SUFFIXES = (".zip",)
MIME_TYPES = ("application/zip", "application/x-zip-compressed")
_BLOCK = 1 << 16
_SKIPPED = ("__MACOSX/",)  # macOS's resource forks, not documents


@dataclass(frozen=True, slots=True)
class Member:
    """A file in an archive: its path there, and the size it declares."""

    name: str
    size: int


def is_archive(name: str, mime_type: str | None) -> bool:
    suffix = PurePosixPath(name.lower()).suffix
    return suffix in SUFFIXES or (mime_type or "").split(";")[0].strip() in MIME_TYPES


def members(path: Path, limits: Limits) -> list[Member]:
    """The files in the archive at `path`, in its order (folders and hidden files left out)."""
    with open_zip(path, limits, "ZIP archive") as archive:
        return [
            Member(info.filename, info.file_size)
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith(_SKIPPED)
            and not PurePosixPath(info.filename).name.startswith(".")
        ]


def unpack(path: Path, member: Member, target: Path, limits: Limits) -> None:
    """Copy `member` of the archive at `path` to `target`, refusing it past `limits.max_bytes`."""
    with open_zip(path, limits, "ZIP archive") as archive:
        try:
            with archive.open(member.name) as source, target.open("wb") as sink:
                copied = 0
                while block := source.read(_BLOCK):
                    copied += len(block)
                    if copied > limits.max_bytes:
                        raise DocumentTooLargeError(
                            f"{PurePosixPath(member.name).name} unpacks to more than "
                            f"{limits.max_bytes / 2**20:g} MB, the most I accept for a file."
                        )
                    sink.write(block)
        except DocumentTooLargeError:
            target.unlink(missing_ok=True)
            raise
        except Exception as error:  # zipfile's errors vary: CRC, encryption, truncation
            target.unlink(missing_ok=True)
            raise UnreadableDocumentError(
                f"{PurePosixPath(member.name).name} could not be unpacked from the archive; "
                "it may be damaged or password-protected."
            ) from error


__all__ = ["MIME_TYPES", "SUFFIXES", "Member", "is_archive", "members", "unpack"]
