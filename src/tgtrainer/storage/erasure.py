"""Erasing one user's rows everywhere, then compacting the file so the text does not linger.

Documents are not erased here: `knowledge.Library.forget_all` removes them with their chunks,
full-text rows and in-memory vectors. What stays: other people's messages in shared groups, and
answers to them (the rows that quote this user in a group answer's prompt go, see below).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from tgtrainer.storage.database import Database


@dataclass(frozen=True, slots=True)
class ErasedRows:
    """How many of each kind of record were deleted."""

    messages: int = 0
    conversations: int = 0
    answer_records: int = 0
    ratings: int = 0
    usage_days: int = 0
    access_records: int = 0
    pending_teach: int = 0
    chat_settings: int = 0


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class ErasureStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def has_user(self, user_id: int) -> bool:
        """Does any row still name this user (or their private chat)?"""
        checks = (
            "SELECT 1 FROM users WHERE id = ?",
            "SELECT 1 FROM messages WHERE user_id = ?",
            "SELECT 1 FROM chats WHERE id = ?",
            "SELECT 1 FROM usage_daily WHERE user_id = ?",
            "SELECT 1 FROM access_grants WHERE subject_id = ?",
            "SELECT 1 FROM kb_teaching_awaited WHERE user_id = ?",
        )
        return any(self._db.execute(sql, (user_id,)).fetchone() for sql in checks)

    def erase_user(self, user_id: int) -> ErasedRows:
        """Delete the user's messages (their whole private chat, replies included), the answers
        to them and the answer records that quote them, their ratings and corrections, their
        usage, access records and pending /teach, in one transaction."""
        db = self._db
        with db:
            own = [
                (row[0], row[1], row[2])
                for row in db.execute(
                    "SELECT id, chat_id, text FROM messages WHERE user_id = ? OR chat_id = ?",
                    (user_id, user_id),
                )
            ]
            own_ids = [row[0] for row in own]
            replies = [
                row[0]
                for row in db.execute(
                    f"SELECT id FROM messages WHERE reply_to IN ({_marks(own_ids)})", own_ids
                )
            ]
            message_ids = sorted(set(own_ids) | set(replies))
            conversations = db.execute(
                "SELECT COUNT(DISTINCT conversation) FROM messages WHERE chat_id = ?", (user_id,)
            ).fetchone()[0]
            answers = db.execute(
                f"DELETE FROM answer_log WHERE message_id IN ({_marks(message_ids)})"
                " OR chat_id = ?",
                [*message_ids, user_id],
            ).rowcount
            # A group's answer records hold the prompt, which quotes earlier messages.
            for _, chat_id, text in own:
                quoted = json.dumps(text, ensure_ascii=False)[1:-1]
                answers += db.execute(
                    "DELETE FROM answer_log WHERE chat_id = ? AND instr(prompt, ?) > 0",
                    (chat_id, quoted),
                ).rowcount
            ratings = db.execute(
                """UPDATE answer_log SET rating = NULL, rated_by = NULL, rated_at = NULL
                   WHERE rated_by = ?""",
                (user_id,),
            ).rowcount
            ratings += db.execute(
                """UPDATE answer_log SET correction = NULL, corrected_by = NULL,
                       corrected_at = NULL, asked_message_id = NULL
                   WHERE corrected_by = ?""",
                (user_id,),
            ).rowcount
            db.execute(
                f"DELETE FROM messages WHERE id IN ({_marks(replies)})", replies
            )  # replies first: they point at the user's messages
            db.execute(f"DELETE FROM messages WHERE id IN ({_marks(own_ids)})", own_ids)
            settings = 0
            for table in ("chat_settings", "voice_settings", "kb_last_sources"):
                settings += db.execute(
                    f"DELETE FROM {table} WHERE chat_id = ?", (user_id,)
                ).rowcount
            pending = db.execute(
                "DELETE FROM kb_teaching_awaited WHERE user_id = ? OR chat_id = ?",
                (user_id, user_id),
            ).rowcount
            usage = db.execute("DELETE FROM usage_daily WHERE user_id = ?", (user_id,)).rowcount
            access = db.execute(
                "DELETE FROM access_grants WHERE subject_id = ?", (user_id,)
            ).rowcount
            access += db.execute(
                "DELETE FROM access_pairing WHERE used_by = ?", (user_id,)
            ).rowcount
            db.execute("DELETE FROM chats WHERE id = ?", (user_id,))
            db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return ErasedRows(
            messages=len(message_ids),
            conversations=conversations,
            answer_records=answers,
            ratings=ratings,
            usage_days=usage,
            access_records=access,
            pending_teach=pending,
            chat_settings=settings,
        )

    def compact(self) -> None:
        """Leave no deleted text in the files: merge the full-text index (its segments keep
        deleted words until merged), rebuild the file with VACUUM (free pages keep old bytes),
        then copy the write-ahead log into it and truncate the log to zero bytes."""
        db = self._db
        with db:
            db.execute("INSERT INTO kb_chunks_fts (kb_chunks_fts) VALUES ('optimize')")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
