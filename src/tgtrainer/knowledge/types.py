"""Plain data of the knowledge pipeline: extracted sections, chunks, search hits, scopes."""

from __future__ import annotations

from dataclasses import dataclass, field

# The records the database keeps belong to the storage layer; they are the knowledge layer's
# vocabulary too, so they are named here as well.
from tgtrainer.storage.knowledge import Chunk, DocumentInfo, Passage

__all__ = [
    "GLOBAL_SCOPE",
    "Chunk",
    "DocumentInfo",
    "ExtractedDocument",
    "LearnResult",
    "Passage",
    "Section",
    "chat_scope",
    "user_scope",
]

GLOBAL_SCOPE = "global"


def user_scope(user_id: int) -> str:
    """What a user teaches in a private chat: theirs alone."""
    return f"user:{user_id}"


def chat_scope(chat_id: int) -> str:
    """What is taught in a group: the group's."""
    return f"chat:{chat_id}"


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text from one place in a document: a page, or the part under one heading.

    `section_path` is the heading's place in the document's outline, outermost first:
    ("Installation", "Network") for a "Network" section of an "Installation" chapter. Readers
    that only know the heading leave it empty; the heading then stands for the path.
    """

    text: str
    page: int | None = None
    heading: str | None = None
    section_path: tuple[str, ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        """The section path, or the heading alone when no path was given."""
        return self.section_path or ((self.heading,) if self.heading else ())


@dataclass(slots=True)
class ExtractedDocument:
    sections: list[Section]
    pages: int | None = None  # for paged formats (PDF)
    title: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "only the first 500 pages were read"

    @property
    def first_heading(self) -> str | None:
        return self.title or next((s.heading for s in self.sections if s.heading), None)


@dataclass(frozen=True, slots=True)
class LearnResult:
    document: DocumentInfo
    status: str  # "learned", "replaced" or "known"
    notes: tuple[str, ...] = ()
    characters: int = 0  # of text read from the document (0 when it was already known)
