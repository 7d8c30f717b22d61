"""The library end to end below the bot: learn, find, replace, forget; scopes never leak."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.documents import make_docx, make_pdf
from tgtrainer.config import Settings
from tgtrainer.knowledge.errors import DocumentTooLargeError, NoTextError
from tgtrainer.knowledge.extract import admit
from tgtrainer.knowledge.library import Library, fts_query
from tgtrainer.knowledge.types import GLOBAL_SCOPE, user_scope
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder

ANN, BOB = user_scope(1), user_scope(2)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "kb.sqlite3") as database:
        yield database


@pytest.fixture
def library(database: Database) -> Library:
    settings = Settings(max_document_mb=1, max_document_pages=50)
    return Library(settings, KnowledgeStore(database), HashingEmbedder())


def file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def test_a_learned_pdf_answers_with_its_page(library: Library, tmp_path: Path) -> None:
    pages = ["Nothing here but weather.", "The vault code of Zebulon station is 4417."]
    path = file(tmp_path, "station.pdf", make_pdf(pages))
    progress: list[str] = []
    result = await library.learn_file(path, admit("station.pdf", None, None), ANN, progress=progress.append)
    assert result.status == "learned"
    assert (result.document.pages, result.document.chunks) == (2, 2)
    assert "Reading page 2/2..." in progress and "Learning passage 2/2..." in progress
    [best, *_] = await library.search("What is the vault code of Zebulon station?", [ANN], 3)
    assert "4417" in best.text
    assert (best.document, best.page, best.location) == ("station.pdf", 2, "station.pdf, p. 2")


async def test_the_same_file_is_known_and_a_new_version_replaces(
    library: Library, tmp_path: Path
) -> None:
    first = file(tmp_path, "a.docx", make_docx("Notes", [("Pets", "The cat is called Miso.")]))
    assert (await library.learn_file(first, admit("notes.docx", None, None), ANN)).status == "learned"
    assert (await library.learn_file(first, admit("notes.docx", None, None), ANN)).status == "known"
    second = file(tmp_path, "b.docx", make_docx("Notes", [("Pets", "The dog is called Pesto.")]))
    result = await library.learn_file(second, admit("notes.docx", None, None), ANN)
    assert result.status == "replaced"
    assert [d.name for d in library.documents([ANN])] == ["notes.docx"]
    texts = [p.text for p in await library.search("what is the cat called", [ANN], 5)]
    assert not any("Miso" in t for t in texts)
    assert any("Pesto" in t for t in texts)


async def test_scopes_never_leak(library: Library) -> None:
    await library.learn_text("Ann's locker combination is 7321.", "ann", ANN)
    await library.learn_text("The office opens at nine.", "office", GLOBAL_SCOPE)
    found_by_bob = await library.search("locker combination 7321", [BOB, GLOBAL_SCOPE], 5)
    assert all("7321" not in p.text for p in found_by_bob)
    assert any("nine" in p.text for p in found_by_bob)
    assert any("7321" in p.text for p in await library.search("locker", [ANN], 5))


async def test_a_small_scope_among_many_others_still_gets_its_lexical_hits(
    library: Library,
) -> None:
    for n in range(210):  # more, and better, BM25 hits than the first scope-blind pass takes
        await library.learn_text(f"Otter census, otter census {n}.", f"o{n}", user_scope(100 + n))
    filler = " ".join(f"river{i}" for i in range(100))
    await library.learn_text(f"The otter census is kept by Ann. {filler}", "mine", ANN)
    lexical = library._lexical("otter census", [ANN], await library._vector_index())
    assert [p.document for p in library._store.passages(lexical)] == ["mine"]


async def test_forget_removes_from_both_retrievers(library: Library) -> None:
    await library.learn_text("Penguins live in Antarctica.", "penguins", ANN)
    assert await library.forget(ANN, "penguins") is not None
    assert await library.search("penguins Antarctica", [ANN], 5) == []
    assert await library.forget(ANN, "penguins") is None
    await library.learn_text("one fact", "a", ANN)
    await library.learn_text("another fact", "b", ANN)
    assert await library.forget_all(ANN) == 2


async def test_the_vectors_survive_a_restart(database: Database, tmp_path: Path) -> None:
    settings = Settings()
    first = Library(settings, KnowledgeStore(database), HashingEmbedder())
    await first.learn_text("Saturn has rings of ice.", "saturn", ANN)
    again = Library(settings, KnowledgeStore(database), HashingEmbedder())
    [hit] = await again.search("rings of ice", [ANN], 1)
    assert hit.document == "saturn" and hit.score > 0.5


async def test_bad_input_leaves_nothing_behind(library: Library, tmp_path: Path) -> None:
    big = file(tmp_path, "big.txt", b"x " * 600_000)
    with pytest.raises(DocumentTooLargeError, match="up to 1 MB"):
        await library.learn_file(big, admit("big.txt", None, None), ANN)
    with pytest.raises(NoTextError):
        await library.learn_file(file(tmp_path, "e.txt", b""), admit("e.txt", None, None), ANN)
    assert library.documents([ANN]) == []


async def test_sources_are_remembered_per_chat(library: Library) -> None:
    await library.learn_text("Mars has two moons.", "mars", ANN)
    passages = await library.search("moons of Mars", [ANN], 2)
    library.remember_sources(10, passages)
    assert library.last_sources(10) == passages
    assert library.last_sources(11) == []


def test_fts_query_keeps_the_words_that_matter() -> None:
    assert fts_query("What is the code of Zebulon?") == '"code" OR "zebulon"'
    assert fts_query("what is it?") is None


def test_a_teach_waiting_for_its_text_survives_a_restart_and_is_taken_once(
    tmp_path: Path,
) -> None:
    settings = Settings()
    with Database(tmp_path / "kb.sqlite3") as database:
        library = Library(settings, KnowledgeStore(database), HashingEmbedder())
        library.await_teaching(chat_id=10, user_id=1, scope=ANN)
        library.await_teaching(chat_id=-20, user_id=1, scope=GLOBAL_SCOPE)
    with Database(tmp_path / "kb.sqlite3") as database:  # the bot started again
        library = Library(settings, KnowledgeStore(database), HashingEmbedder())
        assert library.take_awaited_teaching(10, 2) is None  # someone else in that chat
        assert library.take_awaited_teaching(10, 1) == ANN
        assert library.take_awaited_teaching(10, 1) is None  # the next message is answered
        assert library.take_awaited_teaching(-20, 1) == GLOBAL_SCOPE


def test_a_teach_left_waiting_too_long_lapses(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tgtrainer.knowledge import library as library_module

    library.await_teaching(10, 1, ANN)
    monkeypatch.setattr(library_module, "TEACHING_WAIT_SECONDS", -1)  # the hour has passed
    assert library.take_awaited_teaching(10, 1) is None
    monkeypatch.undo()
    assert library.take_awaited_teaching(10, 1) is None  # and it is gone, not kept for later
