"""Cutting sections into chunks along their structure: paragraphs, then sentences, then words.

Sizes are counted in words (about 1.3 tokens each in English): the default 170 words stays within
the 256 word pieces all-MiniLM-L6-v2 reads, so no chunk is cut short when it is embedded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tgtrainer.knowledge.text import clean_text
from tgtrainer.knowledge.types import Chunk, Section

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def chunk_sections(
    sections: Iterable[Section], *, max_words: int = 170, overlap_words: int = 30
) -> list[Chunk]:
    """Chunks of at most `max_words`; a chunk never spans two sections (pages, headings), so a
    heading always starts a chunk and never sits at the tail of the one before; consecutive
    chunks of a section share about `overlap_words` words. A section holding nothing but its
    heading (a chapter title straight before its first section) makes no chunk: its heading
    lives on in the section paths of the sections under it."""
    chunks: list[Chunk] = []
    every = list(sections)
    for section, after in zip(every, [*every[1:], None], strict=True):
        text = clean_text(section.text)
        if not text or (_only_heading(section, text) and _opens(section, after)):
            continue
        for body in _pack(_pieces(text, max_words), max_words, overlap_words):
            chunks.append(Chunk(body, section.page, section.heading, section.path))
    return chunks


def _only_heading(section: Section, text: str) -> bool:
    return section.heading is not None and text == clean_text(section.heading)


def _opens(section: Section, after: Section | None) -> bool:
    """Whether `after` is a subsection of `section` (so its path keeps `section`'s heading)."""
    if after is None:
        return False
    path, inner = section.path, after.path
    return len(inner) > len(path) and inner[: len(path)] == path


def _pieces(text: str, max_words: int) -> Iterator[str]:
    """Paragraphs; a paragraph too long is split into sentences, a sentence into word runs."""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if _words(paragraph) <= max_words:
            yield paragraph
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            words = sentence.split()
            for start in range(0, len(words), max_words):
                yield " ".join(words[start : start + max_words])


def _pack(pieces: Iterable[str], max_words: int, overlap_words: int) -> Iterator[str]:
    current: list[str] = []
    size = 0
    for piece in pieces:
        count = _words(piece)
        if current and size + count > max_words:
            yield "\n\n".join(current)
            current, size = _tail(current, overlap_words, max_words - count)
        current.append(piece)
        size += count
    if current:
        yield "\n\n".join(current)


def _tail(pieces: list[str], overlap_words: int, room: int) -> tuple[list[str], int]:
    """The last words of a chunk, carried into the next one for context."""
    take = min(overlap_words, max(room, 0))
    if take <= 0:
        return [], 0
    words = "\n\n".join(pieces).split()[-take:]
    return [" ".join(words)], len(words)


def _words(text: str) -> int:
    return len(text.split())
