"""The knowledge base: learn documents (extract -> clean -> chunk -> embed -> index) and search
them (BM25 and dense vectors, fused by reciprocal rank). It keeps no per-chat state: who may
teach what, and where, is `core.teaching`'s to decide."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from tgtrainer.config import Settings
from tgtrainer.knowledge.chunking import chunk_sections
from tgtrainer.knowledge.embedder import Embedder
from tgtrainer.knowledge.errors import NoTextError
from tgtrainer.knowledge.extract import Admitted, Limits, extract
from tgtrainer.knowledge.types import (
    DocumentInfo,
    ExtractedDocument,
    LearnResult,
    Passage,
    Section,
)
from tgtrainer.knowledge.vectors import VectorIndex
from tgtrainer.storage.knowledge import KnowledgeStore

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
CANDIDATES = 40  # per retriever, before fusion
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.)
COMMON_SHARE = 0.05  # words in more of the chunks than this are left to the dense search
COMMON_FLOOR = 500  # ...but small indexes keep every word: scoring them all is cheap
LEXICAL_WIDE = 200  # BM25 hits over every scope, before keeping the chat's own
LEXICAL_ENOUGH = 5  # fewer of the chat's own among them: search again, joined with scopes
_STOP_WORDS = frozenset(
    """a an and are as at be by can do does for from has have how i if in is it its of on or
    that the their there this to was were what when where which who whom why will with you your
    about into me my we our не и в на что как это с по из к у о же за""".split()  # noqa: SIM905
)


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fts_words(question: str) -> list[str]:
    """The question's words that are not stop words, once each."""
    words = [w for w in re.findall(r"\w+", question.lower()) if w not in _STOP_WORDS]
    return list(dict.fromkeys(w for w in words if len(w) > 1 or w.isdigit()))


def fts_query(question: str) -> str | None:
    """An FTS5 expression: any of the question's words that are not stop words."""
    words = fts_words(question)
    return " OR ".join(f'"{word}"' for word in words) if words else None


class Library:
    def __init__(self, settings: Settings, store: KnowledgeStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self.limits = Limits(
            max_bytes=int(settings.max_document_mb * 1024 * 1024),
            max_pages=settings.max_document_pages,
            max_unpacked_bytes=settings.max_unpacked_mb * 1024 * 1024,
            ocr_languages=settings.ocr_languages,
        )
        self._index: VectorIndex | None = None
        self._frequencies: dict[str, int] = {}  # chunks per word; cleared on every change
        self._index_lock = asyncio.Lock()
        self._learning = asyncio.Lock()  # one document at a time: memory and CPU stay bounded

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    # -- learning ---------------------------------------------------------------------------

    async def learn_file(
        self,
        path: Path,
        document: Admitted,
        scope: str,
        *,
        progress: Progress | None = None,
    ) -> LearnResult:
        """Learn the admitted file now at `path`; raises `DocumentError` (with a sentence for
        the user)."""
        size = (await asyncio.to_thread(path.stat)).st_size
        digest = await asyncio.to_thread(content_hash, path)
        known = self._store.find_by_hash(scope, digest)
        if known is not None:
            return LearnResult(known, "known")
        report = progress or (lambda _: None)

        def read() -> ExtractedDocument:
            return extract(path, document, limits=self.limits, progress=report)

        return await self._learn(read, document.name, scope, digest, size, report)

    async def learn_text(
        self, text: str, name: str, scope: str, *, progress: Progress | None = None
    ) -> LearnResult:
        if not text.strip():
            raise NoTextError("There is no text to learn.")
        data = text.encode()
        digest = hashlib.sha256(data).hexdigest()
        known = self._store.find_by_hash(scope, digest)
        if known is not None:
            return LearnResult(known, "known")
        return await self._learn(
            lambda: ExtractedDocument([Section(text)]),
            name,
            scope,
            digest,
            len(data),
            progress or (lambda _: None),
        )

    async def _learn(
        self,
        read: Callable[[], ExtractedDocument],
        name: str,
        scope: str,
        digest: str,
        size: int,
        progress: Progress,
    ) -> LearnResult:
        async with self._learning:
            document = await asyncio.to_thread(read)
            chunks = await asyncio.to_thread(chunk_sections, document.sections)
            if not chunks:
                raise NoTextError(f"I found no text in {name}.")
            texts = [f"{c.section}\n{c.text}" if c.section else c.text for c in chunks]
            progress(f"Learning {len(chunks)} passages...")
            vectors = await self._embedder.embed(
                texts, lambda done, total: progress(f"Learning passage {done}/{total}...")
            )
            index = await self._vector_index()
            replacing = self._store.find_by_name(scope, name)
            info, ids, removed = self._store.save_document(
                scope=scope,
                name=name,
                content_hash=digest,
                size=size,
                pages=document.pages,
                first_heading=document.first_heading,
                embedder=self._embedder.name,
                chunks=chunks,
                vectors=vectors,
            )
            index.remove(removed)
            index.add(ids, [scope] * len(ids), vectors)
            self._frequencies.clear()
        log.info("learned %s into %s: %d chunks", name, scope, len(chunks))
        return LearnResult(
            info,
            "replaced" if replacing else "learned",
            tuple(document.notes),
            characters=sum(len(section.text.strip()) for section in document.sections),
        )

    # -- the documents of a scope ------------------------------------------------------------

    def documents(self, scopes: Sequence[str]) -> list[DocumentInfo]:
        return self._store.documents(scopes)

    def has_documents(self, scopes: Sequence[str]) -> bool:
        return self._store.has_documents(scopes)

    def scopes(self) -> list[str]:
        """Every scope that holds a document."""
        return self._store.scopes()

    async def forget(self, scope: str, name: str) -> DocumentInfo | None:
        """Forget the document called `name` in `scope`; None if there is none."""
        document = self._store.find_by_name(scope, name)
        if document is None:
            return None
        await self.forget_document(document)
        return document

    async def forget_document(self, document: DocumentInfo) -> None:
        removed = self._store.delete_document(document.id)
        (await self._vector_index()).remove(removed)
        self._frequencies.clear()

    async def forget_all(self, scope: str) -> int:
        count, removed = self._store.delete_scope(scope)
        (await self._vector_index()).remove(removed)
        self._frequencies.clear()
        return count

    # -- search -----------------------------------------------------------------------------

    async def search(self, query: str, scopes: Sequence[str], k: int = 5) -> list[Passage]:
        """The `k` best passages in `scopes`, fused from BM25 and dense ranks; each passage's
        score is its cosine similarity to the query."""
        if not query.strip() or not self._store.has_documents(scopes):
            return []
        index = await self._vector_index()
        vector = await self._embedder.embed_query(query)
        # The dense product runs in a thread while BM25 runs here: both release the GIL.
        dense_task = asyncio.ensure_future(
            asyncio.to_thread(index.search, vector, scopes, CANDIDATES)
        )
        try:
            lexical = self._lexical(query, scopes, index)
        finally:
            dense = await dense_task
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, (chunk_id, _) in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda chunk_id: -fused[chunk_id])[:k]
        cosine = dict(dense)
        missing = [chunk_id for chunk_id in best if chunk_id not in cosine]
        if missing:
            cosine.update(index.similarity(vector, missing))
        return self._store.passages([(chunk_id, cosine.get(chunk_id, 0.0)) for chunk_id in best])

    def _lexical(
        self, query: str, scopes: Sequence[str], index: VectorIndex
    ) -> list[tuple[int, float]]:
        """BM25 hits in `scopes`: the best over every scope, kept if in `scopes` (cheap), or a
        search joined with the documents' scopes when too few of those are the chat's own."""
        match = self._lexical_query(query, len(index))
        if match is None:
            return []
        wide = self._store.lexical_search_any_scope(match, LEXICAL_WIDE)
        visible = index.members([chunk_id for chunk_id, _ in wide], scopes)
        hits = [hit for hit in wide if hit[0] in visible][:CANDIDATES]
        if len(hits) < LEXICAL_ENOUGH and len(wide) == LEXICAL_WIDE:
            return self._store.lexical_search(match, scopes, CANDIDATES)
        return hits

    def _lexical_query(self, query: str, chunks: int) -> str | None:
        """The FTS5 query without the words found in more than 5 % of the chunks.

        Such words weigh little in BM25 yet make it score a large part of the index (measured:
        p50 155 ms instead of 7 ms over 100k chunks); the dense search still sees them.
        """
        words = fts_words(query)
        if not words:
            return None
        unknown = [w for w in words if w not in self._frequencies]
        if unknown:
            self._frequencies.update(dict.fromkeys(unknown, 0))
            self._frequencies.update(self._store.document_frequencies(unknown))
        frequencies = self._frequencies
        limit = max(chunks * COMMON_SHARE, COMMON_FLOOR)
        kept = [w for w in words if frequencies.get(w, 0) <= limit]
        return " OR ".join(f'"{word}"' for word in kept) if kept else None

    async def _vector_index(self) -> VectorIndex:
        """The in-memory vectors, read from the database on first use."""
        async with self._index_lock:
            if self._index is None:
                ids, scopes, matrix = self._store.vectors(self._embedder.name)
                index = VectorIndex()
                index.add(list(ids), scopes, matrix)
                self._index = index
            return self._index
