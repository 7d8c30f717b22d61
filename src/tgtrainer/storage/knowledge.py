"""Learned documents: one row per document, its chunks with their vectors, a full-text index.

A document belongs to one scope (`user:<id>`, `chat:<id>` or `global`); its name is unique in
the scope, so a new version replaces the old one. Chunks keep their vector as a float32 blob;
`kb_chunks_fts` indexes the Porter stems of their text for BM25 (its rowid is the chunk's id).
Every change to a document (with its chunks and index rows) happens in one transaction: a failed
learn leaves nothing behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import snowballstemmer
from numpy.typing import NDArray

from tgtrainer.storage.database import Database

SECTION_SEPARATOR = " > "
# The stemmer of SQLite's `porter` tokenizer (the original Porter algorithm), for the vocabulary
_PORTER = snowballstemmer.stemmer("porter")


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    page: int | None = None
    heading: str | None = None
    section_path: tuple[str, ...] = ()  # ("Installation", "Network"): chapter > section > ...

    @property
    def section(self) -> str:
        """'Installation > Network'; the heading alone when there is no path; '' for neither."""
        return SECTION_SEPARATOR.join(self.section_path) or self.heading or ""


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with where it came from and how well it matched."""

    chunk_id: int
    document: str
    text: str
    score: float
    page: int | None = None
    heading: str | None = None
    section_path: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        """'Installation > Network'; the heading alone when there is no path; '' for neither."""
        return SECTION_SEPARATOR.join(self.section_path) or self.heading or ""

    @property
    def place(self) -> str:
        """Where in its document: 'p. 12, Installation > Network', 'p. 12', 'Installing' or ''."""
        page = f"p. {self.page}" if self.page is not None else ""
        return ", ".join(part for part in (page, self.section) if part)

    @property
    def location(self) -> str:
        """'report.pdf, p. 12, Installation > Network', 'report.pdf, p. 12' or
        'guide.docx, Installing'."""
        return ", ".join(part for part in (self.document, self.place) if part)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    id: int
    scope: str
    name: str
    size: int
    chunks: int
    pages: int | None
    first_heading: str | None
    created_at: float


_DOCUMENT_COLUMNS = "id, scope, name, size, chunks, pages, first_heading, created_at"


def _document(row: Any) -> DocumentInfo:
    return DocumentInfo(*tuple(row))


_PASSAGE_COLUMNS = "c.id, d.name, c.text, c.page, c.heading, c.section_path"


def _passage(row: Any, score: float) -> Passage:
    path = tuple(json.loads(row[5])) if row[5] else ()
    return Passage(row[0], row[1], row[2], score, row[3], row[4], path)


def _path_json(path: Sequence[str]) -> str | None:
    """A section path as stored: a JSON list (a heading may hold any character), NULL if none."""
    return json.dumps(list(path), ensure_ascii=False) if path else None


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class KnowledgeStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    # -- documents --------------------------------------------------------------------------

    def find_by_hash(self, scope: str, content_hash: str) -> DocumentInfo | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM kb_documents WHERE scope = ? AND content_hash = ?",
            (scope, content_hash),
        ).fetchone()
        return None if row is None else _document(row)

    def find_by_name(self, scope: str, name: str) -> DocumentInfo | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM kb_documents WHERE scope = ? AND name = ?",
            (scope, name),
        ).fetchone()
        return None if row is None else _document(row)

    def documents(self, scopes: Sequence[str]) -> list[DocumentInfo]:
        rows = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM kb_documents WHERE scope IN ({_marks(scopes)})"
            " ORDER BY scope, name",
            tuple(scopes),
        ).fetchall()
        return [_document(row) for row in rows]

    def scopes(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT scope FROM kb_documents")]

    def has_documents(self, scopes: Sequence[str]) -> bool:
        row = self._db.execute(
            f"SELECT 1 FROM kb_documents WHERE scope IN ({_marks(scopes)}) LIMIT 1", tuple(scopes)
        ).fetchone()
        return row is not None

    def save_document(
        self,
        *,
        scope: str,
        name: str,
        content_hash: str,
        size: int,
        pages: int | None,
        first_heading: str | None,
        embedder: str,
        chunks: Sequence[Chunk],
        vectors: NDArray[np.float32],
    ) -> tuple[DocumentInfo, list[int], list[int]]:
        """Store a document, replacing one of the same name in the scope.

        Returns the document, the ids of its chunks, and the ids of the chunks it replaced.
        """
        now = time.time()
        with self._db:
            old = self._db.execute(
                "SELECT id FROM kb_documents WHERE scope = ? AND name = ?", (scope, name)
            ).fetchone()
            removed = self._delete(old[0]) if old is not None else []
            cursor = self._db.execute(
                """INSERT INTO kb_documents (scope, name, content_hash, size, pages,
                       first_heading, chunks, embedder, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (scope, name, content_hash, size, pages, first_heading, len(chunks), embedder, now),
            )
            document_id = cursor.lastrowid
            assert document_id is not None
            ids = []
            for ordinal, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                row = self._db.execute(
                    """INSERT INTO kb_chunks (document_id, ordinal, text, page, heading,
                           section_path, embedding)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (
                        document_id,
                        ordinal,
                        chunk.text,
                        chunk.page,
                        chunk.heading,
                        _path_json(chunk.section_path),
                        vector.astype(np.float32).tobytes(),
                    ),
                )
                assert row.lastrowid is not None
                ids.append(row.lastrowid)
                self._db.execute(
                    "INSERT INTO kb_chunks_fts (rowid, text, heading) VALUES (?, ?, ?)",
                    (row.lastrowid, chunk.text, chunk.section),
                )
        info = DocumentInfo(document_id, scope, name, size, len(chunks), pages, first_heading, now)
        return info, ids, removed

    def delete_document(self, document_id: int) -> list[int]:
        """Forget a document; returns the ids of its chunks."""
        with self._db:
            return self._delete(document_id)

    def delete_scope(self, scope: str) -> tuple[int, list[int]]:
        """Forget every document of a scope; returns how many, and their chunk ids."""
        with self._db:
            ids = [
                row[0]
                for row in self._db.execute("SELECT id FROM kb_documents WHERE scope = ?", (scope,))
            ]
            removed = [chunk for document_id in ids for chunk in self._delete(document_id)]
        return len(ids), removed

    def _delete(self, document_id: int) -> list[int]:
        ids = [
            row[0]
            for row in self._db.execute(
                "SELECT id FROM kb_chunks WHERE document_id = ?", (document_id,)
            )
        ]
        self._db.execute(
            "DELETE FROM kb_chunks_fts WHERE rowid IN"
            " (SELECT id FROM kb_chunks WHERE document_id = ?)",
            (document_id,),
        )
        self._db.execute("DELETE FROM kb_chunks WHERE document_id = ?", (document_id,))
        self._db.execute("DELETE FROM kb_documents WHERE id = ?", (document_id,))
        return ids

    # -- retrieval --------------------------------------------------------------------------

    def lexical_search(
        self, match: str, scopes: Sequence[str], limit: int
    ) -> list[tuple[int, float]]:
        """Chunk ids and BM25 scores (higher is better) for an FTS5 `match` expression."""
        rows = self._db.execute(
            f"""SELECT f.rowid, -bm25(kb_chunks_fts) AS score
                FROM kb_chunks_fts f
                JOIN kb_chunks c ON c.id = f.rowid
                JOIN kb_documents d ON d.id = c.document_id
                WHERE kb_chunks_fts MATCH ? AND d.scope IN ({_marks(scopes)})
                ORDER BY bm25(kb_chunks_fts) LIMIT ?""",
            (match, *scopes, limit),
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        """In how many chunks each of `words` occurs, by its stem (over every scope)."""
        stems = dict(zip(words, _PORTER.stemWords(words), strict=True))
        wanted = tuple(set(stems.values()))
        rows = self._db.execute(
            f"SELECT term, doc FROM kb_chunks_vocab WHERE term IN ({_marks(wanted)})", wanted
        ).fetchall()
        chunks = {row[0]: row[1] for row in rows}
        return {word: chunks[stem] for word, stem in stems.items() if stem in chunks}

    def lexical_search_any_scope(self, match: str, limit: int) -> list[tuple[int, float]]:
        """Like `lexical_search` over every scope: the caller must filter by scope."""
        rows = self._db.execute(
            "SELECT rowid, -rank FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ?"
            " ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def passages(self, scored: Sequence[tuple[int, float]]) -> list[Passage]:
        """The chunks `scored` (id, score), in that order, with their documents' names."""
        if not scored:
            return []
        ids = [chunk_id for chunk_id, _ in scored]
        rows = {
            row[0]: row
            for row in self._db.execute(
                f"""SELECT {_PASSAGE_COLUMNS} FROM kb_chunks c
                    JOIN kb_documents d ON d.id = c.document_id WHERE c.id IN ({_marks(ids)})""",
                ids,
            )
        }
        return [_passage(rows[chunk_id], score) for chunk_id, score in scored if chunk_id in rows]

    def document_passages(self, scopes: Sequence[str]) -> list[Passage]:
        """Every chunk of the documents of `scopes`, document by document, in reading order."""
        rows = self._db.execute(
            f"""SELECT {_PASSAGE_COLUMNS} FROM kb_chunks c
                JOIN kb_documents d ON d.id = c.document_id WHERE d.scope IN ({_marks(scopes)})
                ORDER BY d.scope, d.name, c.ordinal""",
            tuple(scopes),
        ).fetchall()
        return [_passage(row, 0.0) for row in rows]

    def vectors(self, embedder: str) -> tuple[NDArray[np.int64], list[str], NDArray[np.float32]]:
        """Every chunk made by `embedder`: ids, scopes, and vectors (one row each)."""
        rows = self._db.execute(
            """SELECT c.id, d.scope, c.embedding FROM kb_chunks c
               JOIN kb_documents d ON d.id = c.document_id WHERE d.embedder = ?
               ORDER BY c.id""",
            (embedder,),
        ).fetchall()
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        scopes = [row[1] for row in rows]
        if not rows:
            return ids, scopes, np.zeros((0, 0), dtype=np.float32)
        matrix = np.vstack([np.frombuffer(row[2], dtype=np.float32) for row in rows])
        return ids, scopes, matrix
