"""A small async client for the sandbox's user side, for tests, benchmarks and scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

JSON = dict[str, Any]


class SandboxClient:
    def __init__(self, base_url: str, *, timeout: float = 90, connections: int = 100) -> None:
        """`connections`: requests at once (more wait); a load test needs one per user."""
        self._http = httpx.AsyncClient(
            base_url=f"{base_url}/sandbox/api",
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections),
        )

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """Type `text` in the chat (a private chat if the id is positive, else a group)."""
        body = {
            "chat_id": chat_id,
            "text": text,
            "user_id": user_id,
            "chat_type": chat_type,
            "reply_to_message_id": reply_to,
            "username": username,
            "first_name": first_name,
        }
        result: JSON = await self._json(
            "POST", "/messages", json={k: v for k, v in body.items() if v is not None}
        )
        return result

    async def send_file(
        self,
        chat_id: int,
        data: bytes,
        *,
        kind: str = "document",
        file_name: str = "file",
        mime_type: str | None = None,
        caption: str | None = None,
        duration: float | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        as_is: bool = False,
        media_group_id: str | None = None,
    ) -> JSON:
        """Send a file as `kind`. A voice note becomes OGG/Opus 48 kHz mono, as Telegram makes
        it, unless `as_is` (to give the bot exactly these bytes, a broken file for instance).
        Files sent with one `media_group_id` are an album."""
        fields = {
            "chat_id": chat_id,
            "kind": kind,
            "file_name": file_name,
            "mime_type": mime_type,
            "caption": caption,
            "duration": duration,
            "user_id": user_id,
            "chat_type": chat_type,
            "reply_to_message_id": reply_to,
            "as_is": "true" if as_is else None,
            "media_group_id": media_group_id,
        }
        result: JSON = await self._json(
            "POST",
            "/files",
            data={k: str(v) for k, v in fields.items() if v is not None},
            files={"file": (file_name, data, mime_type or "application/octet-stream")},
        )
        return result

    async def press_button(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> JSON:
        body = {"chat_id": chat_id, "message_id": message_id, "data": data, "user_id": user_id}
        result: JSON = await self._json("POST", "/callbacks", json=body)
        return result

    async def send_updates(self, *updates: JSON) -> list[JSON]:
        """Queue raw Bot API updates (without `update_id`) for the bot, exactly as given and in
        one batch; a message in one is numbered and dated if it is not. The updates as queued."""
        result: list[JSON] = (
            await self._json("POST", "/updates", json={"updates": list(updates)})
        )["updates"]
        return result

    async def events(
        self, *, after: int = 0, timeout: float = 0, chat_id: int | None = None
    ) -> JSON:
        """Events after seq `after`, waiting up to `timeout` s for one: {events, last_seq}."""
        params: dict[str, Any] = {"after": after, "timeout": timeout}
        if chat_id is not None:
            params["chat_id"] = chat_id
        result: JSON = await self._json("GET", "/events", params=params)
        return result

    async def messages(self, chat_id: int) -> list[JSON]:
        """The chat as it stands: every message, edits applied, deleted ones gone."""
        result: list[JSON] = (await self._json("GET", f"/chats/{chat_id}/messages"))["messages"]
        return result

    async def commands(self) -> list[JSON]:
        result: list[JSON] = (await self._json("GET", "/commands"))["commands"]
        return result

    async def stats(self) -> JSON:
        result: JSON = await self._json("GET", "/stats")
        return result

    async def inject_fault(
        self,
        method: str,
        *,
        count: int = 1,
        error_code: int = 0,
        description: str = "",
        retry_after: int | None = None,
        delay: float = 0,
        seconds: float = 0,
    ) -> None:
        """Make the bot's next `count` calls of `method` fail (or wait `delay` seconds first);
        with `seconds`, every call for that long instead ("*": every method but getUpdates)."""
        await self._json(
            "POST",
            "/faults",
            json={
                "method": method,
                "count": count,
                "error_code": error_code,
                "description": description,
                "retry_after": retry_after,
                "delay": delay,
                "seconds": seconds,
            },
        )

    async def download(self, file_id: str) -> bytes:
        response = await self._http.get(f"/files/{file_id}")
        response.raise_for_status()
        return response.content

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        *,
        after_seq: int,
        until: Callable[[list[JSON]], bool],
        timeout: float,
    ) -> list[JSON]:
        """The bot's messages in the chat sent after event `after_seq`, once `until` holds."""
        deadline = time.monotonic() + timeout
        seq = after_seq
        while True:
            fresh = await self._sent_after(chat_id, after_seq)
            if until(fresh):
                return fresh
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat_id}: still waiting; the bot sent {fresh!r}")
            batch = await self.events(after=seq, timeout=min(remaining, 10), chat_id=chat_id)
            seq = batch["last_seq"]

    async def _sent_after(self, chat_id: int, after_seq: int) -> list[JSON]:
        """The bot's messages first sent after event `after_seq`, as they stand now."""
        events = (await self.events(after=after_seq, timeout=0, chat_id=chat_id))["events"]
        new_ids = {
            e["message"]["message_id"]
            for e in events
            if e["type"] == "message" and e["message"]["from_bot"]
        }
        return [m for m in await self.messages(chat_id) if m["message_id"] in new_ids]
