"""Reading the dialogue log: every user message with its answer, the answer's record and its
feedback, chat by chat, for exports and datasets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tgtrainer.storage.database import Database
from tgtrainer.storage.feedback import PromptMessages


@dataclass(frozen=True, slots=True)
class LoggedTurn:
    """A user message and what came of it. The answer fields are None when it got no answer;
    `prompt` is None for answers sent before the answer log existed."""

    chat_id: int
    chat_type: str
    chat_title: str | None
    conversation: int
    user_id: int | None
    question: str
    asked_at: float
    answer: str | None
    answered_at: float | None
    answer_id: int | None  # the assistant message's id in the database
    prompt: PromptMessages | None
    model: str | None
    adapter: str | None
    sources: list[dict[str, Any]]
    rating: int | None
    rated_at: float | None
    correction: str | None
    corrected_at: float | None


_QUERY = """
    SELECT q.chat_id, c.type, c.title, q.conversation, q.user_id, q.text, q.created_at,
           r.text, r.created_at, r.id, a.prompt, a.model, a.adapter, a.sources,
           a.rating, a.rated_at, a.correction, a.corrected_at
    FROM messages q
    JOIN chats c ON c.id = q.chat_id
    LEFT JOIN messages r ON r.reply_to = q.id
    LEFT JOIN answer_log a ON a.message_id = r.id
    WHERE q.role = 'user'
"""


class DialogueLog:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def turns(
        self,
        *,
        chat_ids: Sequence[int] = (),
        since: float | None = None,
        until: float | None = None,
    ) -> list[LoggedTurn]:
        """Turns in chat order, oldest first; `chat_ids` empty: every chat. `since`/`until`
        bound the time of the question (seconds since the epoch; `until` excluded)."""
        query, parameters = _QUERY, []  # type: tuple[str, list[Any]]
        if chat_ids:
            query += f" AND q.chat_id IN ({','.join('?' * len(chat_ids))})"
            parameters.extend(chat_ids)
        if since is not None:
            query += " AND q.created_at >= ?"
            parameters.append(since)
        if until is not None:
            query += " AND q.created_at < ?"
            parameters.append(until)
        rows = self._db.execute(query + " ORDER BY q.chat_id, q.id", parameters).fetchall()
        return [_turn(row) for row in rows]


def _turn(row: Any) -> LoggedTurn:
    values = list(row)
    values[10] = None if values[10] is None else json.loads(values[10])
    values[13] = [] if values[13] is None else json.loads(values[13])
    return LoggedTurn(*values)
