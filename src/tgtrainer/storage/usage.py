"""What each user used, per UTC day: messages, model tokens, voice seconds, documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tgtrainer.storage.database import Database

Counter = Literal["messages", "tokens", "voice_seconds", "documents", "document_bytes"]


@dataclass(frozen=True, slots=True)
class DailyUsage:
    messages: int = 0
    tokens: int = 0
    voice_seconds: float = 0.0
    documents: int = 0
    document_bytes: int = 0


class UsageStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def add(self, user_id: int, day: str, counter: Counter, amount: float) -> None:
        """Add `amount` to one of the user's counters for `day`.

        `counter` is one of the literal column names above, never user input.
        """
        with self._db:
            self._db.execute(
                f"""INSERT INTO usage_daily (user_id, day, {counter}) VALUES (?, ?, ?)
                    ON CONFLICT(user_id, day)
                    DO UPDATE SET {counter} = {counter} + excluded.{counter}""",
                (user_id, day, amount),
            )

    def get(self, user_id: int, day: str) -> DailyUsage:
        row = self._db.execute(
            """SELECT messages, tokens, voice_seconds, documents, document_bytes
               FROM usage_daily WHERE user_id = ? AND day = ?""",
            (user_id, day),
        ).fetchone()
        return DailyUsage() if row is None else DailyUsage(*row)

    def day_totals(self, day: str) -> tuple[int, DailyUsage]:
        """How many users used the bot on `day`, and their usage summed."""
        row = self._db.execute(
            """SELECT COUNT(*), COALESCE(SUM(messages), 0), COALESCE(SUM(tokens), 0),
                      COALESCE(SUM(voice_seconds), 0), COALESCE(SUM(documents), 0),
                      COALESCE(SUM(document_bytes), 0)
               FROM usage_daily WHERE day = ?""",
            (day,),
        ).fetchone()
        return int(row[0]), DailyUsage(*row[1:])
