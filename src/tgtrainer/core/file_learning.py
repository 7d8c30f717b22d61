"""Learning one admitted file, downloaded: a document, or each document in a ZIP archive.

- A ZIP archive is unpacked (within the bomb limits) and each file in it learned as its own
  document, named "archive.zip/path/in/it.txt"; archives inside it are not opened, and at most
  `ARCHIVE_MAX_DOCUMENTS` of its files are learned.
- A document that gives suspiciously little text for its size (`looks_thin`) is learned, and the
  user is warned: it may be mostly pictures or scripts.
- Each document learned counts against its sender's quota.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from tgtrainer.core.quotas import Quotas
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.extract import Admitted, admit, archive
from tgtrainer.knowledge.library import Library, Progress
from tgtrainer.knowledge.types import LearnResult

ARCHIVE = "zip"  # the kind of an admitted ZIP archive: unpacked here, not read as a document
ARCHIVE_MAX_DOCUMENTS = 50
THIN_MIN_BYTES = 64 * 1024  # smaller files may hold little text (an empty DOCX is 36 KB)
THIN_SHARE = 0.01  # characters per byte under which a file looks like pictures or scripts
THIN_PAGE_CHARACTERS = 100  # ...and per page, for paged documents (PDF)


@dataclass(frozen=True, slots=True)
class Learned:
    """What became of one document: learned (`result`, and whether it `looks_thin`), or not
    (`error`, the sentence for the user)."""

    name: str
    result: LearnResult | None = None
    thin: bool = False
    error: str = ""


def looks_thin(result: LearnResult, kind: str) -> bool:
    """Whether a learned document gave suspiciously little text for its size: under
    `THIN_PAGE_CHARACTERS` a page, or (not paged) under `THIN_SHARE` characters a byte of a file
    of `THIN_MIN_BYTES` or more. Pictures are read for their text only, and never look thin."""
    document = result.document
    if result.status == "known" or kind == "image":
        return False
    if document.pages:
        return result.characters < THIN_PAGE_CHARACTERS * document.pages
    return document.size >= THIN_MIN_BYTES and result.characters < THIN_SHARE * document.size


def _located(progress: Progress | None, where: str) -> Progress | None:
    """`progress` with each line saying where in the archive it is."""
    if progress is None:
        return None
    report = progress
    return lambda line: report(f"{line} ({where})")


class FileLearning:
    """Learns admitted files into the library and counts them against quotas."""

    def __init__(self, library: Library, quotas: Quotas | None = None) -> None:
        self._library = library
        self._quotas = quotas

    async def learn_document(
        self,
        file: Admitted,
        scope: str,
        path: Path,
        *,
        progress: Progress | None = None,
        user_id: int | None = None,
    ) -> Learned:
        """Learn one document (not an archive); raises `DocumentError`, `EmbeddingError`."""
        result = await self._library.learn_file(path, file, scope, progress=progress)
        self.count(user_id, result)
        return Learned(file.name, result, looks_thin(result, file.kind))

    async def learn(
        self,
        file: Admitted,
        scope: str,
        path: Path,
        *,
        progress: Progress | None = None,
        user_id: int | None = None,
    ) -> list[Learned]:
        """Learn one file of a batch, downloaded to `path`: a document, or each document in a
        ZIP archive. What cannot be learned is told in its `Learned`, never raised: the rest of
        the batch goes on."""
        if file.kind != ARCHIVE:
            return [await self._learn_or_say_why(file, scope, path, progress, user_id)]
        limits = self._library.limits
        try:
            found = await asyncio.to_thread(archive.members, path, limits)
        except UserFacingError as error:
            return [Learned(file.name, error=str(error))]
        if not found:
            return [Learned(file.name, error=f"{file.name} holds no files.")]
        learned = []
        for number, member in enumerate(found[:ARCHIVE_MAX_DOCUMENTS], start=1):
            name = f"{file.name}/{member.name}"
            if archive.is_archive(member.name, None):
                learned.append(Learned(name, error="I don't open archives inside archives."))
                continue
            try:
                admitted = admit(name, None, member.size, limits)
                target = path.parent / f"member-{number}"
                await asyncio.to_thread(archive.unpack, path, member, target, limits)
            except UserFacingError as error:
                learned.append(Learned(name, error=str(error)))
                continue
            report = _located(progress, f"{number}/{len(found)} in {file.name}")
            try:
                learned.append(
                    await self._learn_or_say_why(admitted, scope, target, report, user_id)
                )
            finally:
                target.unlink(missing_ok=True)
        if len(found) > ARCHIVE_MAX_DOCUMENTS:
            rest = len(found) - ARCHIVE_MAX_DOCUMENTS
            learned.append(
                Learned(
                    f"{file.name}: {rest} more files",
                    error=f"I learn at most {ARCHIVE_MAX_DOCUMENTS} files from one archive.",
                )
            )
        return learned

    async def _learn_or_say_why(
        self,
        file: Admitted,
        scope: str,
        path: Path,
        progress: Progress | None,
        user_id: int | None,
    ) -> Learned:
        try:
            result = await self._library.learn_file(path, file, scope, progress=progress)
        except UserFacingError as error:
            return Learned(file.name, error=str(error))
        self.count(user_id, result)
        return Learned(file.name, result, looks_thin(result, file.kind))

    def count(self, user_id: int | None, result: LearnResult) -> None:
        """Count a newly learned document against its sender's quota."""
        if self._quotas is not None and user_id is not None and result.status != "known":
            self._quotas.count_document(user_id, result.document.size)
