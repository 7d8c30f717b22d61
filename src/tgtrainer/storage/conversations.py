"""Chats, users, their conversations and per-chat settings.

A chat has a current conversation number; `/reset` increments it, so older messages stay in the
database (for datasets later) but leave the model's context. A user message is stored once per
(chat, Telegram message id): a redelivered update finds it and, if it was already answered, is
skipped. A reply is linked to the user message it answers (`reply_to`), at most one per message.

A user message counts as answered when it has a reply or was closed (the user was told why there
is no answer). The messages of a reply already sent before its reply row is stored (a reply in
several parts, a group's streamed message) are kept in `reply_parts` until the reply is stored,
so that a restart can withdraw them before answering again.
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


@dataclass(frozen=True, slots=True)
class UnansweredMessage:
    """A user message with neither a reply nor an error told, and what is known of its chat."""

    id: int
    chat_id: int
    chat_type: str
    chat_title: str | None
    user_id: int
    first_name: str
    username: str | None
    language_code: str | None
    text: str
    telegram_message_id: int
    created_at: float
    shown: tuple[int, ...]  # the Telegram ids of the reply's parts already sent


_ANSWERED = """(EXISTS(SELECT 1 FROM messages r WHERE r.reply_to = m.id)
                 OR EXISTS(SELECT 1 FROM closed_messages c WHERE c.message_id = m.id))"""


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
                """SELECT m.id FROM messages m
                   WHERE m.chat_id = ? AND m.telegram_message_id = ? AND m.role = 'user'""",
                (chat_id, telegram_message_id),
            ).fetchone()
            if row is not None:
                return IncomingMessage(id=row[0], answered=self._answered(row[0]))
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
            f"""SELECT 1 FROM messages m
               WHERE m.chat_id = ? AND m.telegram_message_id = ? AND m.role = 'user'
                 AND {_ANSWERED}""",
            (chat_id, telegram_message_id),
        ).fetchone()
        return row is not None

    def _answered(self, message_id: int) -> bool:
        row = self._db.execute(
            f"SELECT {_ANSWERED} FROM messages m WHERE m.id = ?", (message_id,)
        ).fetchone()
        return bool(row[0])

    def close(self, message_id: int) -> None:
        """The user message `message_id` was told why it has no answer: never answer it."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO closed_messages (message_id, closed_at) VALUES (?, ?)",
                (message_id, time.time()),
            )
            self._db.execute("DELETE FROM reply_parts WHERE message_id = ?", (message_id,))

    def close_by_telegram_id(self, chat_id: int, telegram_message_id: int) -> None:
        """`close` the user message with this Telegram id, if it is stored and unanswered."""
        row = self._db.execute(
            """SELECT id FROM messages
               WHERE chat_id = ? AND telegram_message_id = ? AND role = 'user'""",
            (chat_id, telegram_message_id),
        ).fetchone()
        if row is not None:
            self.close(row[0])

    def discard_unanswered(self, chat_id: int, telegram_message_id: int) -> None:
        """Remove a user message stored on arrival that turned out not to be a question."""
        with self._db:
            self._db.execute(
                f"""DELETE FROM messages AS m
                   WHERE m.chat_id = ? AND m.telegram_message_id = ? AND m.role = 'user'
                     AND NOT {_ANSWERED}""",
                (chat_id, telegram_message_id),
            )

    def add_reply_part(self, message_id: int, telegram_message_id: int) -> None:
        """A message of the reply to `message_id` was sent (before the reply is stored)."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO reply_parts (message_id, telegram_message_id) VALUES (?, ?)",
                (message_id, telegram_message_id),
            )

    def unanswered(self, since: float) -> list[UnansweredMessage]:
        """User messages received at or after `since` in their chat's current conversation,
        neither answered nor closed, by chat and then in the order they came."""
        rows = self._db.execute(
            f"""SELECT m.id, m.chat_id, c.type, c.title, m.user_id, COALESCE(u.first_name, ''),
                      u.username, u.language_code, m.text, m.telegram_message_id, m.created_at,
                      (SELECT json_group_array(p.telegram_message_id) FROM reply_parts p
                       WHERE p.message_id = m.id)
               FROM messages m JOIN chats c ON c.id = m.chat_id
                    LEFT JOIN users u ON u.id = m.user_id
               WHERE m.role = 'user' AND m.created_at >= ? AND m.conversation = c.conversation
                 AND m.user_id IS NOT NULL AND m.telegram_message_id IS NOT NULL
                 AND NOT {_ANSWERED}
               ORDER BY m.chat_id, m.id""",
            (since,),
        ).fetchall()
        return [
            UnansweredMessage(
                id=row[0],
                chat_id=row[1],
                chat_type=row[2],
                chat_title=row[3],
                user_id=row[4],
                first_name=row[5],
                username=row[6],
                language_code=row[7],
                text=row[8],
                telegram_message_id=row[9],
                created_at=row[10],
                shown=tuple(sorted(json.loads(row[11]))),
            )
            for row in rows
        ]

    def forget_reply_parts(self, message_id: int) -> None:
        """The parts of an unfinished reply were withdrawn."""
        with self._db:
            self._db.execute("DELETE FROM reply_parts WHERE message_id = ?", (message_id,))

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
