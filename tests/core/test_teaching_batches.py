"""Files sent together and ZIP archives: one admission for the batch, each file learned or told
why not, an archive's files learned under their own names; and when a document looks thin."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_teaching import (
    ADMIN,
    ADMIN_CHAT,
    ANN,
    ANN_CHAT,
    BOT,
    GROUP,
    names,
    teaching_over,
)
from tests.support.documents import make_zip_bomb
from tgtrainer.config import Settings
from tgtrainer.core.file_learning import ARCHIVE, ARCHIVE_MAX_DOCUMENTS, Learned, looks_thin
from tgtrainer.core.teaching import AdminOnlyError, Teaching, Upload
from tgtrainer.knowledge.extract import SUPPORTED
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import GLOBAL_SCOPE, DocumentInfo, LearnResult, chat_scope
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "kb.sqlite3") as database:
        yield database


@pytest.fixture
def teaching(database: Database) -> Teaching:
    library = Library(
        Settings(max_document_mb=1, max_unpacked_mb=5), KnowledgeStore(database), HashingEmbedder()
    )
    return teaching_over(database, library)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def outcome(learned: list[Learned]) -> list[tuple[str, str]]:
    """(name, "learned" | the reason it was not) for each document."""
    return [(item.name, item.result.status if item.result else item.error) for item in learned]


# -- one admission for the batch ---------------------------------------------------------------


def test_a_flag_or_the_bots_name_in_any_caption_holds_for_the_whole_batch(
    teaching: Teaching,
) -> None:
    uploads = [Upload("a.txt", None, 10), Upload("b.txt", None, 10, f"@{BOT} what is new?")]
    batch = teaching.admit_batch(GROUP, ANN, uploads, BOT)
    assert batch is not None and batch.scope == chat_scope(GROUP.id)
    assert [admitted.name for _, admitted, _ in batch.files if admitted] == ["a.txt", "b.txt"]
    assert batch.question == "what is new?"
    # Without a word to the bot, a group's files are not for it.
    assert teaching.admit_batch(GROUP, ANN, [Upload("a.txt", None, 10)] * 2, BOT) is None
    # #global on one file of an admin's album puts them all in the global collection...
    flagged = [Upload("a.txt", None, 10, "#global"), Upload("b.txt", None, 10)]
    admin_batch = teaching.admit_batch(ADMIN_CHAT, ADMIN, flagged, BOT)
    assert admin_batch is not None and admin_batch.scope == GLOBAL_SCOPE
    with pytest.raises(AdminOnlyError):  # ...and is refused to anyone else
        teaching.admit_batch(ANN_CHAT, ANN, flagged, BOT)


async def test_a_waiting_teach_is_used_once_for_the_whole_batch(teaching: Teaching) -> None:
    assert await teaching.teach(GROUP, ANN, "") is None
    batch = teaching.admit_batch(GROUP, ANN, [Upload("a.txt", None, 10)] * 3, BOT)
    assert batch is not None and len(batch.files) == 3
    assert teaching.admit_batch(GROUP, ANN, [Upload("c.txt", None, 10)], BOT) is None


def test_a_refused_file_stays_in_the_batch_with_its_reason(teaching: Teaching) -> None:
    uploads = [Upload("setup.exe", None, 10), Upload("big.txt", None, 2 * 2**20)]
    batch = teaching.admit_batch(ANN_CHAT, ANN, [*uploads, Upload("ok.md", None, 5)], BOT)
    assert batch is not None
    assert [(u.name, a is not None, why[:22]) for u, a, why in batch.files] == [
        ("setup.exe", False, "I can't read .exe file"),
        ("big.txt", False, "big.txt is 2.0 MB; I a"),
        ("ok.md", True, ""),
    ]


async def test_a_file_of_a_batch_that_cannot_be_learned_is_told_not_raised(
    teaching: Teaching, tmp_path: Path
) -> None:
    batch = teaching.admit_batch(ANN_CHAT, ANN, [Upload("broken.pdf", None, 10)], BOT)
    assert batch is not None
    [(_, admitted, _)] = batch.files
    assert admitted is not None
    path = tmp_path / "upload"
    path.write_bytes(b"not a pdf at all")
    [learned] = await teaching.learn_file(admitted, batch.scope, path)
    assert outcome([learned]) == [
        ("broken.pdf", "This file is not a readable PDF; it may be damaged.")
    ]


# -- ZIP archives ------------------------------------------------------------------------------


async def test_each_document_of_a_zip_is_learned_under_its_own_name(
    teaching: Teaching, tmp_path: Path
) -> None:
    admitted = teaching.admit_upload(ANN_CHAT, ANN, Upload("docs.zip", None, 1000), BOT)
    assert admitted is not None and admitted.file.kind == ARCHIVE
    (tmp_path / "download").mkdir()
    path = tmp_path / "download" / "upload"
    path.write_bytes(
        zipped(
            {
                "a.txt": b"Alpha base opens at nine.",
                "sub/b.md": b"# B\nBravo base opens at ten.",
                "sub/": b"",
                "inner.zip": zipped({"c.txt": b"Charlie"}),
                "tool.exe": b"MZ",
                "empty.txt": b"",
                ".hidden.txt": b"dotfile",
            }
        )
    )
    learned = await teaching.learn_upload(admitted, path)
    assert outcome(learned) == [
        ("docs.zip/a.txt", "learned"),
        ("docs.zip/sub/b.md", "learned"),
        ("docs.zip/inner.zip", "I don't open archives inside archives."),
        ("docs.zip/tool.exe", f"I can't read .exe files; send {SUPPORTED}."),
        ("docs.zip/empty.txt", "docs.zip/empty.txt is empty."),
    ]
    assert sorted(names(teaching, ANN_CHAT, ANN)) == ["docs.zip/a.txt", "docs.zip/sub/b.md"]
    assert list(path.parent.iterdir()) == [path]  # the unpacked members are gone


async def test_a_zip_bomb_and_a_damaged_zip_are_told(teaching: Teaching, tmp_path: Path) -> None:
    admitted = teaching.admit_upload(ANN_CHAT, ANN, Upload("bomb.zip", None, 1000), BOT)
    assert admitted is not None
    path = tmp_path / "upload"
    path.write_bytes(make_zip_bomb("notes.txt", unpacked_mb=50))
    [learned] = await teaching.learn_upload(admitted, path)
    assert learned.error == "This ZIP archive unpacks to 50 MB, more than the 5 MB I accept."
    path.write_bytes(b"PK not really")
    [learned] = await teaching.learn_upload(admitted, path)
    assert learned.error == "This file is not a readable ZIP archive; it may be damaged."


async def test_at_most_so_many_files_of_an_archive_are_learned(
    teaching: Teaching, tmp_path: Path
) -> None:
    admitted = teaching.admit_upload(ANN_CHAT, ANN, Upload("many.zip", None, 1000), BOT)
    assert admitted is not None
    count = ARCHIVE_MAX_DOCUMENTS + 3
    path = tmp_path / "upload"
    path.write_bytes(zipped({f"n{i}.txt": f"Note {i} of many.".encode() for i in range(count)}))
    learned = await teaching.learn_upload(admitted, path)
    assert len(learned) == ARCHIVE_MAX_DOCUMENTS + 1
    assert outcome(learned[-1:]) == [
        (
            "many.zip: 3 more files",
            f"I learn at most {ARCHIVE_MAX_DOCUMENTS} files from one archive.",
        )
    ]


# -- how much was learned ----------------------------------------------------------------------


def result(
    size: int, characters: int, pages: int | None = None, status: str = "learned"
) -> LearnResult:
    document = DocumentInfo(1, "user:1", "x", size, 3, pages, None, 0.0)
    return LearnResult(document, status, characters=characters)


@pytest.mark.parametrize(
    ("learned", "kind", "thin"),
    [
        (result(300 * 1024, 200), "html", True),  # a page of scripts
        (result(300 * 1024, 20_000), "html", False),
        (result(30 * 1024, 40), "docx", False),  # small: an empty DOCX alone is 36 KB
        (result(2_000_000, 900, pages=40), "pdf", True),  # pictures of pages
        (result(2_000_000, 90_000, pages=40), "pdf", False),
        (result(3_000_000, 30), "image", False),  # a photo gives the text in it, little or not
        (result(300 * 1024, 0, status="known"), "html", False),
    ],
)
def test_a_document_looks_thin_when_it_gives_little_text_for_its_size(
    learned: LearnResult, kind: str, thin: bool
) -> None:
    assert looks_thin(learned, kind) is thin


async def test_a_learned_file_says_how_many_characters_it_gave(
    teaching: Teaching, tmp_path: Path
) -> None:
    page = "<html><body><script>" + "x = 1;" * 20_000 + "</script><p>Tiny text.</p></body></html>"
    path = tmp_path / "upload"
    path.write_text(page)
    admitted = teaching.admit_upload(ANN_CHAT, ANN, Upload("app.html", None, len(page)), BOT)
    assert admitted is not None
    [learned] = await teaching.learn_upload(admitted, path)
    assert learned.result is not None and learned.result.characters == len("Tiny text.")
    assert learned.thin
