"""The library end to end below the bot: learn, find, replace, forget; scopes never leak.

The library keeps no per-chat state: the waiting /teach and the last sources are
`core.teaching`'s (tests/core/test_teaching.py)."""

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
    result = await library.learn_file(
        path, admit("station.pdf", None, None), ANN, progress=progress.append
    )
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
    assert (
        await library.learn_file(first, admit("notes.docx", None, None), ANN)
    ).status == "learned"
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


async def test_the_lexical_search_finds_other_forms_of_a_word(library: Library) -> None:
    """BM25 matches Porter stems: "packages" finds "package", "loading" finds "loaded"."""
    await library.learn_text("Each package is loaded by the installer.", "setup", ANN)
    await library.learn_text("The garden has roses.", "garden", ANN)
    lexical = library._lexical("packages loading", [ANN], await library._vector_index())
    assert [p.document for p in library._store.passages(lexical)] == ["setup"]


async def test_a_common_word_is_counted_by_its_stem(library: Library) -> None:
    for n in range(12):
        await library.learn_text(f"Packaged parcel {n} waits.", f"p{n}", ANN)
    frequencies = library._store.document_frequencies(["packages", "parcels", "unknown"])
    assert frequencies == {"packages": 12, "parcels": 12}


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


@pytest.mark.parametrize(
    ("name", "data"),
    [("blank.txt", b" \n\t\n "), ("bom.txt", b"\xef\xbb\xbf"), ("ctrl.md", b"# \x01\x02\n")],
)
async def test_a_file_without_text_is_refused_by_its_name(
    library: Library, tmp_path: Path, name: str, data: bytes
) -> None:
    with pytest.raises(NoTextError, match=rf"^I found no text in {name}\.$"):
        await library.learn_file(file(tmp_path, name, data), admit(name, None, None), ANN)
    assert library.documents([ANN]) == []


async def test_bad_input_leaves_nothing_behind(library: Library, tmp_path: Path) -> None:
    big = file(tmp_path, "big.txt", b"x " * 600_000)
    with pytest.raises(DocumentTooLargeError, match="up to 1 MB"):
        await library.learn_file(big, admit("big.txt", None, None), ANN)
    with pytest.raises(NoTextError):
        await library.learn_file(file(tmp_path, "e.txt", b""), admit("e.txt", None, None), ANN)
    assert library.documents([ANN]) == []


def test_fts_query_keeps_the_words_that_matter() -> None:
    assert fts_query("What is the code of Zebulon?") == '"code" OR "zebulon"'
    assert fts_query("what is it?") is None
