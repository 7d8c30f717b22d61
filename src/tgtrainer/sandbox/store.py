"""The sandbox's memory on disk: one SQLite file, so a chat survives a restart of the sandbox.

What a person would find again after a restart is kept: chats, messages (as the Bot API JSON the
bot got, with the HTML it sent and any reactions), files, the registered commands, the updates
the bot has not confirmed yet, and the counters that number messages, updates and files, so that
no id is ever given twice (the bot's database remembers which message ids it answered). Drafts,
chat actions and the event log are what a person sees pass by; they are not kept.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (
    chat_id INTEGER PRIMARY KEY,
    chat TEXT NOT NULL,
    last_message_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    message TEXT NOT NULL,
    html TEXT,
    reactions TEXT,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    file_unique_id TEXT NOT NULL,
    file_path TEXT NOT NULL,
    file_name TEXT,
    mime_type TEXT,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS updates (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""


@dataclass
class SavedFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class Snapshot:
    """Everything read back at start; empty for a new file."""

    meta: JSON = field(default_factory=dict)
    chats: dict[int, tuple[JSON, int]] = field(default_factory=dict)
    messages: list[tuple[int, JSON, str | None, list[JSON] | None]] = field(default_factory=list)
    files: list[SavedFile] = field(default_factory=list)
    updates: list[JSON] = field(default_factory=list)


class SandboxStore:
    """Write-through storage: every change is committed when it happens (rows are small)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def load(self) -> Snapshot:
        snapshot = Snapshot()
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            snapshot.meta[key] = json.loads(value)
        for chat_id, chat, last in self._db.execute(
            "SELECT chat_id, chat, last_message_id FROM chats"
        ):
            snapshot.chats[chat_id] = (json.loads(chat), last)
        for chat_id, message, html, reactions in self._db.execute(
            "SELECT chat_id, message, html, reactions FROM messages ORDER BY chat_id, message_id"
        ):
            snapshot.messages.append(
                (chat_id, json.loads(message), html, json.loads(reactions) if reactions else None)
            )
        for file_id, unique_id, file_path, file_name, mime_type, data in self._db.execute(
            "SELECT file_id, file_unique_id, file_path, file_name, mime_type, data FROM files"
        ):
            snapshot.files.append(
                SavedFile(file_id, unique_id, file_path, file_name, mime_type, bytes(data))
            )
        for (body,) in self._db.execute("SELECT body FROM updates ORDER BY update_id"):
            snapshot.updates.append(json.loads(body))
        return snapshot

    def save_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def save_chat(self, chat: JSON, last_message_id: int) -> None:
        self._db.execute(
            "INSERT INTO chats (chat_id, chat, last_message_id) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET chat = excluded.chat, "
            "last_message_id = excluded.last_message_id",
            (chat["id"], json.dumps(chat), last_message_id),
        )

    def save_message(
        self, message: JSON, html: str | None, reactions: list[JSON] | None, last_message_id: int
    ) -> None:
        chat_id = message["chat"]["id"]
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO messages (chat_id, message_id, message, html, reactions) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    chat_id,
                    message["message_id"],
                    json.dumps(message),
                    html,
                    json.dumps(reactions) if reactions is not None else None,
                ),
            )
            self._db.execute(
                "UPDATE chats SET last_message_id = max(last_message_id, ?) WHERE chat_id = ?",
                (last_message_id, chat_id),
            )

    def delete_message(self, chat_id: int, message_id: int) -> None:
        self._db.execute(
            "DELETE FROM messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )

    def save_file(self, file: SavedFile, last_file_number: int) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                (
                    file.file_id,
                    file.file_unique_id,
                    file.file_path,
                    file.file_name,
                    file.mime_type,
                    file.data,
                ),
            )
            self._save_meta_in_transaction("last_file_number", last_file_number)

    def add_update(self, update: JSON) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO updates (update_id, body) VALUES (?, ?)",
                (update["update_id"], json.dumps(update)),
            )
            self._save_meta_in_transaction("last_update_id", update["update_id"])

    def confirm_updates(self, offset: int) -> None:
        """The bot asked for updates from `offset` on: the ones before it are delivered."""
        self._db.execute("DELETE FROM updates WHERE update_id < ?", (offset,))

    def remove_update(self, update_id: int) -> None:
        """A webhook took this one (webhooks take them one by one, not in order)."""
        self._db.execute("DELETE FROM updates WHERE update_id = ?", (update_id,))

    def _save_meta_in_transaction(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
