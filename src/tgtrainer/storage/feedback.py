"""The answer log: what each answer was made from (the exact prompt, the model, the sources) and
what people said of it (a rating, a better answer).

One row per answer, keyed by the assistant message in `messages`. The row is written when the
answer is sent; a rating or a correction updates it. Messages are plain dicts here
(`{"role": ..., "content": ...}`), as they were sent to the model.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tgtrainer.storage.database import Database

PromptMessages = list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """An answer as it was sent: the record `AnswerLogStore.record` writes."""

    message_id: int  # the assistant message in `messages`
    chat_id: int
    button_message_id: int | None  # the Telegram message that carries the rating buttons
    prompt: PromptMessages
    model: str | None
    adapter: str | None = None
    sources: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class RatedAnswer:
    """An answer as feedback sees it."""

    message_id: int
    chat_id: int
    button_message_id: int | None
    rating: int | None  # 1, -1 or None
    asked_message_id: int | None
    correction: str | None


_COLUMNS = "message_id, chat_id, button_message_id, rating, asked_message_id, correction"


def _rated(row: Any) -> RatedAnswer | None:
    return None if row is None else RatedAnswer(*tuple(row))


class AnswerLogStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def record(self, answer: AnswerRecord) -> None:
        with self._db:
            self._db.execute(
                """INSERT INTO answer_log (message_id, chat_id, button_message_id, prompt, model,
                                           adapter, sources, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    answer.message_id,
                    answer.chat_id,
                    answer.button_message_id,
                    json.dumps(answer.prompt, ensure_ascii=False),
                    answer.model,
                    answer.adapter,
                    json.dumps(answer.sources or [], ensure_ascii=False),
                    time.time(),
                ),
            )

    def by_button(self, chat_id: int, telegram_message_id: int) -> RatedAnswer | None:
        """The answer whose buttons are on this Telegram message of this chat."""
        return _rated(
            self._db.execute(
                f"SELECT {_COLUMNS} FROM answer_log WHERE chat_id = ? AND button_message_id = ?",
                (chat_id, telegram_message_id),
            ).fetchone()
        )

    def by_part(self, chat_id: int, telegram_message_id: int) -> RatedAnswer | None:
        """The answer shown (in part) by this Telegram message of this chat."""
        return _rated(
            self._db.execute(
                f"""SELECT {", ".join("a." + c for c in _COLUMNS.split(", "))}
                    FROM answer_log a JOIN messages m ON m.id = a.message_id,
                         json_each(m.telegram_message_ids) part
                    WHERE a.chat_id = ? AND part.value = ?""",
                (chat_id, telegram_message_id),
            ).fetchone()
        )

    def by_asked(self, chat_id: int, telegram_message_id: int) -> RatedAnswer | None:
        """The answer the bot's "what would be better?" message `telegram_message_id` is about."""
        return _rated(
            self._db.execute(
                f"SELECT {_COLUMNS} FROM answer_log WHERE chat_id = ? AND asked_message_id = ?",
                (chat_id, telegram_message_id),
            ).fetchone()
        )

    def last(self, chat_id: int) -> RatedAnswer | None:
        """The chat's newest answer."""
        return _rated(
            self._db.execute(
                f"SELECT {_COLUMNS} FROM answer_log WHERE chat_id = ?"
                " ORDER BY message_id DESC LIMIT 1",
                (chat_id,),
            ).fetchone()
        )

    def get(self, message_id: int) -> RatedAnswer | None:
        return _rated(
            self._db.execute(
                f"SELECT {_COLUMNS} FROM answer_log WHERE message_id = ?", (message_id,)
            ).fetchone()
        )

    def rate(self, message_id: int, rating: int | None, user_id: int) -> None:
        with self._db:
            self._db.execute(
                "UPDATE answer_log SET rating = ?, rated_by = ?, rated_at = ? WHERE message_id = ?",
                (rating, user_id, time.time(), message_id),
            )

    def set_asked(self, message_id: int, telegram_message_id: int) -> None:
        with self._db:
            self._db.execute(
                "UPDATE answer_log SET asked_message_id = ? WHERE message_id = ?",
                (telegram_message_id, message_id),
            )

    def correct(self, message_id: int, text: str, user_id: int) -> None:
        """Store the better answer; the answer counts as rated bad from now on."""
        now = time.time()
        with self._db:
            self._db.execute(
                """UPDATE answer_log SET correction = ?, corrected_by = ?, corrected_at = ?,
                       rating = -1, rated_by = ?, rated_at = ? WHERE message_id = ?""",
                (text, user_id, now, user_id, now, message_id),
            )
