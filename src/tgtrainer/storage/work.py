"""Work in progress (a document being learned, a voice note being heard), recorded while it runs
so that a restart after a crash can tell the user it was interrupted."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tgtrainer.storage.database import Database


@dataclass(frozen=True, slots=True)
class WorkRecord:
    id: int
    chat_id: int
    kind: str
    name: str
    message_id: int | None
    status_message_id: int | None
    created_at: float


class WorkStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def start(
        self,
        chat_id: int,
        kind: str,
        name: str,
        message_id: int | None,
        status_message_id: int | None = None,
    ) -> int:
        with self._db:
            cursor = self._db.execute(
                """INSERT INTO work_in_progress
                       (chat_id, kind, name, message_id, status_message_id, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (chat_id, kind, name, message_id, status_message_id, time.time()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end(self, work_id: int) -> None:
        with self._db:
            self._db.execute("DELETE FROM work_in_progress WHERE id = ?", (work_id,))

    def take_all(self) -> list[WorkRecord]:
        """Every recorded piece of work, oldest first, removed from the record."""
        with self._db:
            rows = self._db.execute(
                """SELECT id, chat_id, kind, name, message_id, status_message_id, created_at
                   FROM work_in_progress ORDER BY id"""
            ).fetchall()
            self._db.execute("DELETE FROM work_in_progress")
        return [WorkRecord(*tuple(row)) for row in rows]
