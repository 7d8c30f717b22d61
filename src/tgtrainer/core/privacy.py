"""Forgetting a user: `/forget_me` in the chat, `tgtrainer users delete` on the server.

Everything stored about the user goes: their messages (their private chat with its
conversations, and their messages in groups with the answers to them), their documents with
passages and vectors (also the in-memory index), the answer records and feedback, usage, a
pending /teach, access records; then the database file is compacted so the deleted text does not
linger in free pages or the write-ahead log. Voice messages and received files are never kept.
Documents a user taught a group belong to the group and stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import user_scope
from tgtrainer.storage.erasure import ErasedRows, ErasureStore


@dataclass(frozen=True, slots=True)
class ErasureReport:
    rows: ErasedRows
    documents: int
    passages: int

    def summary(self) -> str:
        """What was deleted, counted, in one short text."""
        rows = self.rows
        parts = [
            _count(rows.messages, "message"),
            _count(rows.conversations, "conversation"),
            _count(self.documents, "document") + f" ({_count(self.passages, 'passage')})",
            _count(rows.answer_records, "answer record"),
            _count(rows.ratings, "rating or correction", "ratings or corrections"),
            _count(rows.usage_days, "day of usage", "days of usage"),
            _count(rows.access_records, "access record"),
        ]
        if rows.pending_teach:
            parts.append(_count(rows.pending_teach, "pending /teach", "pending /teach"))
        return "Deleted everything I kept about you: " + ", ".join(parts) + "."


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


class Privacy:
    def __init__(self, erasure: ErasureStore, library: Library | None) -> None:
        self._erasure = erasure
        self._library = library

    async def forget_user(self, user_id: int) -> ErasureReport:
        """Delete everything stored about `user_id` and compact the database."""
        documents = passages = 0
        if self._library is not None:
            scope = user_scope(user_id)
            passages = sum(document.chunks for document in self._library.documents([scope]))
            documents = await self._library.forget_all(scope)
        rows = self._erasure.erase_user(user_id)
        self._erasure.compact()
        return ErasureReport(rows, documents, passages)
