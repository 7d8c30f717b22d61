"""Citations: passages keep their numbers, the source list names each document once with its
places (page and section path), and section paths survive the database and /sources' store."""

from __future__ import annotations

import json
from pathlib import Path

from tgtrainer.config import Settings
from tgtrainer.core.grounding import by_document, source_list
from tgtrainer.knowledge.extract import admit
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import Passage, user_scope
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder

NETWORK = ("Installation", "Network")


def passage(number: int, document: str, page: int | None, *path: str) -> Passage:
    heading = path[-1] if path else None
    return Passage(number, document, f"text {number}", 0.5, page, heading, tuple(path))


def test_a_document_cited_by_several_passages_is_listed_once_with_its_places() -> None:
    passages = [
        passage(1, "manual.pdf", 12, *NETWORK),
        passage(2, "notes.txt", None),
        passage(3, "manual.pdf", 14),
        passage(4, "guide.md", None, "Usage", "Daily"),
        passage(5, "manual.pdf", 12, *NETWORK),  # the same place again: named once
    ]
    assert source_list(passages) == (
        "\n\n**Sources:**\n"
        "[1][3][5] manual.pdf: p. 12 (Installation > Network), p. 14\n"
        "[2] notes.txt\n"
        "[4] guide.md: Usage > Daily"
    )
    assert [(name, [n for n, _ in cited]) for name, cited in by_document(passages)] == [
        ("manual.pdf", [1, 3, 5]),
        ("notes.txt", [2]),
        ("guide.md", [4]),
    ]
    assert source_list([]) == ""


def test_a_passage_tells_its_place_with_the_section_path() -> None:
    assert passage(1, "manual.pdf", 12, *NETWORK).location == (
        "manual.pdf, p. 12, Installation > Network"
    )
    assert passage(1, "manual.pdf", 12).location == "manual.pdf, p. 12"
    assert passage(1, "guide.md", None, "Usage").location == "guide.md, Usage"
    # Chunks learned before section paths were kept still show their heading.
    old = Passage(1, "data.csv", "a,b", 0.5, None, "rows 1-50")
    assert (old.section, old.location) == ("rows 1-50", "data.csv, rows 1-50")


def test_the_last_sources_keep_their_section_paths_and_older_ones_still_read(
    tmp_path: Path,
) -> None:
    with Database(tmp_path / "db.sqlite3") as database:
        store = LastSourcesStore(database)
        store.save(5, [passage(1, "manual.pdf", 12, *NETWORK)])
        [back] = store.get(5)
        assert back.section_path == NETWORK and back == passage(1, "manual.pdf", 12, *NETWORK)
        before = {"chunk_id": 1, "document": "a.pdf", "text": "t", "score": 0.1, "page": 2}
        database.connection.execute(
            "UPDATE kb_last_sources SET passages = ? WHERE chat_id = 5", (json.dumps([before]),)
        )
        assert store.get(5)[0].location == "a.pdf, p. 2"


async def test_learned_sections_are_found_with_their_paths(tmp_path: Path) -> None:
    text = "# Installation\n## Network\nThe router password is kestrel-42.\n# Usage\nRun it.\n"
    path = tmp_path / "guide.md"
    path.write_text(text)
    with Database(tmp_path / "kb.sqlite3") as database:
        library = Library(Settings(), KnowledgeStore(database), HashingEmbedder())
        await library.learn_file(path, admit("guide.md", None, None), user_scope(1))
        [best, *_] = await library.search("router password", [user_scope(1)], 3)
        assert "kestrel-42" in best.text
        assert best.section_path == NETWORK
        assert best.location == "guide.md, Installation > Network"
        stored = KnowledgeStore(database).document_passages([user_scope(1)])
        assert [p.section_path for p in stored] == [NETWORK, ("Usage",)]
