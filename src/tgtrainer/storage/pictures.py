"""The pictures user messages showed the model, by message id (the `messages` row's)."""

from __future__ import annotations

from collections.abc import Iterable

from tgtrainer.storage.database import Database


class PictureStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def save(self, message_id: int, media_type: str, data: bytes) -> None:
        """Keep the picture of user message `message_id` (a second save replaces it)."""
        with self._db:
            self._db.execute(
                """INSERT INTO message_pictures (message_id, media_type, data) VALUES (?, ?, ?)
                   ON CONFLICT(message_id) DO UPDATE SET media_type = excluded.media_type,
                       data = excluded.data""",
                (message_id, media_type, data),
            )

    def of(self, message_ids: Iterable[int]) -> dict[int, tuple[str, bytes]]:
        """The pictures of these messages that have one: id -> (media type, bytes)."""
        ids = list(message_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT message_id, media_type, data FROM message_pictures "
            f"WHERE message_id IN ({marks})",
            ids,
        ).fetchall()
        return {row[0]: (row[1], bytes(row[2])) for row in rows}
