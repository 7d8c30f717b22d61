"""What the sandbox Bot API server knows: chats, messages, files, the update queue, the event log.

Plain data and no HTTP. Messages are kept as Bot API JSON dicts, exactly what the bot receives; the
event log is what a person in the chat would see (new, edited and deleted messages, drafts,
chat actions), in order, numbered by `seq` so that a page or a test can wait for what comes next.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def as_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


@dataclass
class Fault:
    """What the next call of a method does instead of succeeding."""

    error_code: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class SandboxState:
    bot_id: int
    bot_username: str
    bot_first_name: str = "tgtrainer"
    chats: dict[int, JSON] = field(default_factory=dict)
    messages: dict[int, dict[int, JSON]] = field(default_factory=dict)
    html: dict[tuple[int, int], str] = field(default_factory=dict)
    drafts: dict[tuple[int, int], JSON] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: list[JSON] = field(default_factory=list)
    updates: list[JSON] = field(default_factory=list)
    events: list[JSON] = field(default_factory=list)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    callback_queries: dict[str, JSON] = field(default_factory=dict)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _updates_changed: asyncio.Condition | None = None
    _events_changed: asyncio.Condition | None = None

    # -- the bot and the chats -----------------------------------------------------------

    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def chat(self, chat_id: int) -> JSON | None:
        return self.chats.get(chat_id)

    def ensure_chat(self, chat_id: int, chat_type: str, title: str | None, user: JSON) -> JSON:
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                if user.get("username"):
                    chat["username"] = user["username"]
            else:
                chat = {"id": chat_id, "type": chat_type, "title": title or f"Group {-chat_id}"}
            self.chats[chat_id] = chat
            self.messages[chat_id] = {}
            self._message_ids[chat_id] = itertools.count(1)
        return chat

    # -- messages ------------------------------------------------------------------------

    def add_message(
        self, chat_id: int, sender: JSON, content: JSON, html: str | None = None
    ) -> JSON:
        message: JSON = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": sender,
            **content,
        }
        self.messages[chat_id][message["message_id"]] = message
        if html is not None:
            self.html[(chat_id, message["message_id"])] = html
        return message

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self.messages.get(chat_id, {}).get(message_id)

    def from_bot(self, message: JSON) -> bool:
        return bool(message.get("from", {}).get("id") == self.bot_id)

    def user_view(self, message: JSON) -> JSON:
        """A message as the user side shows it: flat, with the HTML the bot sent."""
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        attachment = next(
            (
                kind
                for kind in ("voice", "audio", "document", "photo", "video_note")
                if kind in message
            ),
            None,
        )
        view: JSON = {
            "message_id": message_id,
            "chat_id": chat_id,
            "from_bot": self.from_bot(message),
            "from": message.get("from"),
            "date": message["date"],
            "edit_date": message.get("edit_date"),
            "text": message.get("text", message.get("caption", "")),
            "entities": message.get("entities", message.get("caption_entities", [])),
            "html": self.html.get((chat_id, message_id)) or _escape(message.get("text", "")),
            "reply_markup": message.get("reply_markup"),
            "reply_to_message_id": (message.get("reply_to_message") or {}).get("message_id"),
            "kind": attachment or "text",
        }
        if attachment is not None:
            payload = message[attachment]
            payload = payload[-1] if isinstance(payload, list) else payload
            view.update(
                file_id=payload["file_id"],
                file_name=payload.get("file_name"),
                mime_type=payload.get("mime_type"),
                duration=payload.get("duration"),
            )
        return view

    # -- files ---------------------------------------------------------------------------

    def store_file(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = re.sub(r"[^A-Za-z0-9.]", "", (file_name or "").rpartition(".")[2])[:8]
        stored = StoredFile(
            file_id=f"{kind}-{number}-sandbox",
            file_unique_id=f"u{number}",
            data=data,
            file_path=f"{kind}s/file_{number}" + (f".{suffix}" if suffix else ""),
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    # -- updates and events ----------------------------------------------------------------

    def _conditions(self) -> tuple[asyncio.Condition, asyncio.Condition]:
        if self._updates_changed is None or self._events_changed is None:
            self._updates_changed, self._events_changed = asyncio.Condition(), asyncio.Condition()
        return self._updates_changed, self._events_changed

    async def add_update(self, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), **payload}
        updates_changed, _ = self._conditions()
        async with updates_changed:
            self.updates.append(update)
            updates_changed.notify_all()
        return update

    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        """Updates from `offset` on, waiting up to `timeout` seconds for the first one."""
        updates_changed, _ = self._conditions()
        async with updates_changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    updates_changed.wait_for(lambda: bool(self.updates)), timeout
                )
            return self.updates[:limit]

    async def add_event(self, event_type: str, chat_id: int, **details: Any) -> JSON:
        _, events_changed = self._conditions()
        async with events_changed:
            event = {"seq": len(self.events) + 1, "type": event_type, "chat_id": chat_id, **details}
            self.events.append(event)
            events_changed.notify_all()
        return event

    async def wait_events(self, after: int, timeout: float, chat_id: int | None) -> list[JSON]:
        _, events_changed = self._conditions()

        def matching() -> list[JSON]:
            return [e for e in self.events[after:] if chat_id is None or e["chat_id"] == chat_id]

        async with events_changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events_changed.wait_for(lambda: bool(matching())), timeout)
            return matching()

    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        return queue.popleft() if queue else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
