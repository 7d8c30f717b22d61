"""Per-chat state of the knowledge features: the passages behind each chat's last answer, and
the /teach still waiting for its text. Both survive a restart."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict

from tgtrainer.storage.database import Database
from tgtrainer.storage.knowledge import Passage


class LastSourcesStore:
    """The passages each chat's last answer rested on (none: it did not come from documents)."""

    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def save(self, chat_id: int, passages: Sequence[Passage]) -> None:
        with self._db:
            self._db.execute(
                """INSERT INTO kb_last_sources (chat_id, passages, created_at) VALUES (?, ?, ?)
                   ON CONFLICT(chat_id) DO UPDATE SET passages = excluded.passages,
                       created_at = excluded.created_at""",
                (chat_id, json.dumps([asdict(p) for p in passages]), time.time()),
            )

    def get(self, chat_id: int) -> list[Passage]:
        row = self._db.execute(
            "SELECT passages FROM kb_last_sources WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        if row is None:
            return []
        return [
            Passage(**{**item, "section_path": tuple(item.get("section_path", ()))})
            for item in json.loads(row[0])
        ]


class PendingTeachStore:
    """Who said /teach in which chat, and where their next text or file goes."""

    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def put(self, chat_id: int, user_id: int, scope: str) -> None:
        with self._db:
            self._db.execute(
                """INSERT INTO kb_teaching_awaited (chat_id, user_id, scope, created_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT(chat_id, user_id) DO UPDATE SET scope = excluded.scope,
                       created_at = excluded.created_at""",
                (chat_id, user_id, scope, time.time()),
            )

    def waiting(self, chat_id: int, user_id: int, since: float) -> bool:
        """Whether `user_id` asked to teach in `chat_id` at or after `since` (kept for `take`)."""
        row = self._db.execute(
            """SELECT 1 FROM kb_teaching_awaited
               WHERE chat_id = ? AND user_id = ? AND created_at >= ?""",
            (chat_id, user_id, since),
        ).fetchone()
        return row is not None

    def take(self, chat_id: int, user_id: int, since: float) -> str | None:
        """The scope `user_id` asked to teach in `chat_id` at or after `since`, once; None if
        they did not. An older one is dropped too."""
        key = (chat_id, user_id)
        # A read first: this runs for every message, and nearly none is awaited.
        row = self._db.execute(
            "SELECT scope, created_at FROM kb_teaching_awaited WHERE chat_id = ? AND user_id = ?",
            key,
        ).fetchone()
        if row is None:
            return None
        with self._db:
            self._db.execute(
                "DELETE FROM kb_teaching_awaited WHERE chat_id = ? AND user_id = ?", key
            )
        return str(row[0]) if row[1] >= since else None
