"""What the sandbox Bot API server knows: chats, messages, files, the update queue, the event log.

Plain data and no HTTP. Messages are kept as Bot API JSON dicts, exactly what the bot receives; the
event log is what a person in the chat would see (new, edited and deleted messages, drafts,
chat actions), in order, numbered by `seq` so that a page or a test can wait for what comes next.
With a `SandboxStore` attached, every lasting change is written through to disk (see store.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from tgtrainer.sandbox.records import JSON, Fault, StoredFile, Webhook
from tgtrainer.sandbox.store import SandboxStore, SavedFile, Snapshot
from tgtrainer.sandbox.user_view import user_view


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
    fault_windows: dict[str, tuple[Fault, float]] = field(default_factory=dict)
    """Faults for every call of a method ("*": every method but getUpdates) until a time
    (`time.monotonic()`)."""
    calls: Counter[str] = field(default_factory=Counter)
    callback_queries: dict[str, JSON] = field(default_factory=dict)
    reactions: dict[tuple[int, int], list[JSON]] = field(default_factory=dict)
    webhook: Webhook | None = None
    """Set: updates are posted there (sandbox/webhook.py), and getUpdates is refused."""
    last_poll: float | None = None
    """`time.monotonic()` when the bot's last getUpdates ended."""
    polls_waiting: int = 0
    model_status: JSON = field(default_factory=lambda: {"state": "unknown"})
    """What the page shows about the chat model (set by whoever runs the bot, if anyone)."""
    store: SandboxStore | None = None
    last_update_id: int = 0
    last_file_number: int = 0
    last_message_ids: dict[int, int] = field(default_factory=dict)
    _updates_changed: asyncio.Condition | None = None
    _events_changed: asyncio.Condition | None = None

    # -- persistence ---------------------------------------------------------------------

    def attach(self, store: SandboxStore) -> None:
        """Take up what `store` holds, then write every lasting change through to it."""
        self._restore(store.load())
        self.store = store
        if self.bot_id:
            store.save_meta("bot", {"id": self.bot_id, "username": self.bot_username})

    def _restore(self, snapshot: Snapshot) -> None:
        bot = snapshot.meta.get("bot")
        if bot and not self.bot_id:
            self.bot_id = int(bot["id"])
        self.commands = list(snapshot.meta.get("commands", []))
        self.last_update_id = int(snapshot.meta.get("last_update_id", 0))
        self.last_file_number = int(snapshot.meta.get("last_file_number", 0))
        for chat_id, (chat, last_message_id) in snapshot.chats.items():
            self.chats[chat_id] = chat
            self.messages[chat_id] = {}
            self.last_message_ids[chat_id] = last_message_id
        for chat_id, message, html, reactions in snapshot.messages:
            message["chat"] = self.chats[chat_id]
            self.messages[chat_id][message["message_id"]] = message
            if html is not None:
                self.html[(chat_id, message["message_id"])] = html
            if reactions:
                self.reactions[(chat_id, message["message_id"])] = reactions
        for saved in snapshot.files:
            self.files[saved.file_id] = StoredFile(
                saved.file_id,
                saved.file_unique_id,
                saved.data,
                saved.file_path,
                saved.file_name,
                saved.mime_type,
            )
        self.updates = snapshot.updates
        if snapshot.meta.get("webhook"):
            self.webhook = Webhook(**snapshot.meta["webhook"])

    def set_bot(self, bot_id: int) -> None:
        self.bot_id = bot_id
        if self.store is not None:
            self.store.save_meta("bot", {"id": bot_id, "username": self.bot_username})

    def set_commands(self, commands: list[JSON]) -> None:
        self.commands = commands
        if self.store is not None:
            self.store.save_meta("commands", commands)

    def _persist(self, event: JSON) -> None:
        """Write through the lasting change an event announces."""
        if self.store is None:
            return
        chat_id = event["chat_id"]
        if event["type"] in ("message", "edit", "reaction"):
            message_id = (
                event["message"]["message_id"] if "message" in event else event["message_id"]
            )
            message = self.message(chat_id, message_id)
            if message is not None:
                self.store.save_message(
                    message,
                    self.html.get((chat_id, message_id)),
                    self.reactions.get((chat_id, message_id)),
                    self.last_message_ids[chat_id],
                )
        elif event["type"] == "delete":
            self.store.delete_message(chat_id, event["message_id"])

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
            self.last_message_ids[chat_id] = 0
            if self.store is not None:
                self.store.save_chat(chat, 0)
        return chat

    # -- messages ------------------------------------------------------------------------

    def add_message(
        self, chat_id: int, sender: JSON, content: JSON, html: str | None = None
    ) -> JSON:
        self.last_message_ids[chat_id] += 1
        message: JSON = {
            "message_id": self.last_message_ids[chat_id],
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": sender,
            **content,
        }
        self.messages[chat_id][message["message_id"]] = message
        if html is not None:
            self.html[(chat_id, message["message_id"])] = html
        return message

    def keep_raw_message(self, message: JSON) -> JSON:
        """Keep a message that came in a raw update in its chat (which it may introduce), so that
        the bot can reply to it; it gets an id and a date when it has none."""
        chat = message["chat"]
        chat_id = int(chat["id"])
        if chat_id not in self.chats:
            self.chats[chat_id] = chat
            self.messages[chat_id] = {}
            self.last_message_ids[chat_id] = 0
            if self.store is not None:
                self.store.save_chat(chat, 0)
        if "message_id" not in message:
            message["message_id"] = self.last_message_ids[chat_id] + 1
        message.setdefault("date", int(time.time()))
        self.last_message_ids[chat_id] = max(self.last_message_ids[chat_id], message["message_id"])
        self.messages[chat_id][message["message_id"]] = message
        return message

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self.messages.get(chat_id, {}).get(message_id)

    def from_bot(self, message: JSON) -> bool:
        return bool(message.get("from", {}).get("id") == self.bot_id)

    def user_view(self, message: JSON) -> JSON:
        """A message as the user side shows it (`sandbox.user_view`)."""
        key = (message["chat"]["id"], message["message_id"])
        return user_view(
            message,
            from_bot=self.from_bot(message),
            html=self.html.get(key),
            reactions=self.reactions.get(key, []),
        )

    # -- files ---------------------------------------------------------------------------

    def store_file(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        self.last_file_number += 1
        number = self.last_file_number
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
        if self.store is not None:
            self.store.save_file(
                SavedFile(
                    stored.file_id,
                    stored.file_unique_id,
                    stored.file_path,
                    file_name,
                    mime_type,
                    data,
                ),
                number,
            )
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    # -- updates and events ----------------------------------------------------------------

    def _conditions(self) -> tuple[asyncio.Condition, asyncio.Condition]:
        if self._updates_changed is None or self._events_changed is None:
            self._updates_changed, self._events_changed = asyncio.Condition(), asyncio.Condition()
        return self._updates_changed, self._events_changed

    async def add_update(self, payload: JSON) -> JSON:
        [update] = await self.add_updates([payload])
        return update

    async def add_updates(self, payloads: list[JSON]) -> list[JSON]:
        """Queue updates together, numbered: a poll waiting now gets them in one batch."""
        updates_changed, _ = self._conditions()
        queued = []
        async with updates_changed:
            for payload in payloads:
                self.last_update_id += 1
                update = {"update_id": self.last_update_id, **payload}
                self.updates.append(update)
                if self.store is not None:
                    self.store.add_update(update)
                queued.append(update)
            updates_changed.notify_all()
        return queued

    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        """Updates from `offset` on, waiting up to `timeout` seconds for the first one."""
        self.polls_waiting += 1
        try:
            return await self._take_updates(offset, limit, timeout)
        finally:
            self.polls_waiting -= 1
            self.last_poll = time.monotonic()

    async def _take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        updates_changed, _ = self._conditions()
        async with updates_changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.store is not None:
                    self.store.confirm_updates(offset)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    updates_changed.wait_for(lambda: bool(self.updates) or bool(self.webhook)),
                    timeout,
                )
            return self.updates[:limit]

    def updates_condition(self) -> asyncio.Condition:
        """Notified whenever the updates or the webhook change (sandbox/webhook.py waits on it)."""
        return self._conditions()[0]

    async def add_event(self, event_type: str, chat_id: int, **details: Any) -> JSON:
        _, events_changed = self._conditions()
        async with events_changed:
            event = {"seq": len(self.events) + 1, "type": event_type, "chat_id": chat_id, **details}
            self._persist(event)
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

    def bot_connected(self, grace: float = 3.0) -> bool:
        """Whether the bot is polling now (or was a moment ago, between two long polls)."""
        if self.polls_waiting:
            return True
        return self.last_poll is not None and time.monotonic() - self.last_poll < grace

    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if queue:
            return queue.popleft()
        for key in (method, "*") if method != "getupdates" else (method,):
            window = self.fault_windows.get(key)
            if window is not None and time.monotonic() < window[1]:
                return window[0]
        return None
