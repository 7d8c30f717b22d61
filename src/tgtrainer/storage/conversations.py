"""Chats, users, their conversations and per-chat settings.

A chat has a current conversation number; `/reset` increments it, so older messages stay in the
database (for datasets later) but leave the model's context. A user message is stored once per
(chat, Telegram message id): a redelivered update finds it and, if it was already answered, is
skipped. A reply is linked to the user message it answers (`reply_to`), at most one per message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

from tgtrainer.storage.database import Database, set_chat_column


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    role: Literal["user", "assistant"]
    text: str
    created_at: float


@dataclass(frozen=True, slots=True)
class ChatSettings:
    system_prompt: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """Where a user message stands after `record_user_message`."""

    id: int
    answered: bool


class ConversationStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def upsert_chat(self, chat_id: int, chat_type: str, title: str | None) -> None:
        with self._db:
            self._db.execute(
                """INSERT INTO chats (id, type, title, created_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET type = excluded.type, title = excluded.title""",
                (chat_id, chat_type, title, time.time()),
            )

    def upsert_user(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> None:
        now = time.time()
        with self._db:
            self._db.execute(
                """INSERT INTO users
                       (id, username, first_name, language_code, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET username = excluded.username,
                       first_name = excluded.first_name, language_code = excluded.language_code,
                       updated_at = excluded.updated_at""",
                (user_id, username, first_name, language_code, now, now),
            )

    def record_user_message(
        self, chat_id: int, user_id: int, text: str, telegram_message_id: int
    ) -> IncomingMessage:
        """Store a user's message in the chat's current conversation, once."""
        with self._db:
            row = self._db.execute(
                """SELECT m.id, EXISTS(SELECT 1 FROM messages r WHERE r.reply_to = m.id)
                   FROM messages m
                   WHERE m.chat_id = ? AND m.telegram_message_id = ? AND m.role = 'user'""",
                (chat_id, telegram_message_id),
            ).fetchone()
            if row is not None:
                return IncomingMessage(id=row[0], answered=bool(row[1]))
            cursor = self._db.execute(
                """INSERT INTO messages (chat_id, conversation, role, text, user_id,
                                         telegram_message_id, created_at)
                   VALUES (?, (SELECT conversation FROM chats WHERE id = ?), 'user', ?, ?, ?, ?)""",
                (chat_id, chat_id, text, user_id, telegram_message_id, time.time()),
            )
            assert cursor.lastrowid is not None
            return IncomingMessage(id=cursor.lastrowid, answered=False)

    def is_answered(self, chat_id: int, telegram_message_id: int) -> bool:
        """Has the user message with this Telegram id already been answered?"""
        row = self._db.execute(
            """SELECT 1 FROM messages m JOIN messages r ON r.reply_to = m.id
               WHERE m.chat_id = ? AND m.telegram_message_id = ? AND m.role = 'user'""",
            (chat_id, telegram_message_id),
        ).fetchone()
        return row is not None

    def record_reply(
        self, chat_id: int, reply_to: int, text: str, telegram_message_ids: list[int]
    ) -> int:
        """Store the assistant's answer to the user message `reply_to`."""
        with self._db:
            cursor = self._db.execute(
                """INSERT INTO messages (chat_id, conversation, role, text, telegram_message_id,
                                         telegram_message_ids, reply_to, created_at)
                   SELECT ?, conversation, 'assistant', ?, ?, ?, ?, ? FROM messages WHERE id = ?""",
                (
                    chat_id,
                    text,
                    telegram_message_ids[0] if telegram_message_ids else None,
                    json.dumps(telegram_message_ids),
                    reply_to,
                    time.time(),
                    reply_to,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def history(self, chat_id: int, limit: int = 200) -> list[StoredMessage]:
        """The current conversation's last `limit` messages, oldest first."""
        rows = self._db.execute(
            """SELECT id, role, text, created_at FROM messages
               WHERE chat_id = ? AND conversation = (SELECT conversation FROM chats WHERE id = ?)
               ORDER BY id DESC LIMIT ?""",
            (chat_id, chat_id, limit),
        ).fetchall()
        return [StoredMessage(row[0], row[1], row[2], row[3]) for row in reversed(rows)]

    def start_new_conversation(self, chat_id: int) -> None:
        with self._db:
            self._db.execute(
                "UPDATE chats SET conversation = conversation + 1 WHERE id = ?", (chat_id,)
            )

    def settings(self, chat_id: int) -> ChatSettings:
        row = self._db.execute(
            "SELECT system_prompt, model FROM chat_settings WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        return ChatSettings() if row is None else ChatSettings(system_prompt=row[0], model=row[1])

    def set_system_prompt(self, chat_id: int, system_prompt: str | None) -> None:
        self._update_settings(chat_id, "system_prompt", system_prompt)

    def set_model(self, chat_id: int, model: str | None) -> None:
        self._update_settings(chat_id, "model", model)

    def _update_settings(
        self, chat_id: int, column: Literal["system_prompt", "model"], value: str | None
    ) -> None:
        set_chat_column(self._db, "chat_settings", chat_id, column, value)
