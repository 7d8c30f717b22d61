"""The people's side of the sandbox: send messages, files and button presses; watch the chat.

JSON over HTTP under /sandbox/api/, used by the tests, the benchmarks and the web chat page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tgtrainer.sandbox import media
from tgtrainer.sandbox.records import JSON, Fault
from tgtrainer.sandbox.state import SandboxState

_ENTITY_PATTERNS = (
    ("bot_command", re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}")),
    ("url", re.compile(r"https?://[^\s<>\"]+")),
)
FILE_KINDS = ("document", "voice", "audio", "photo", "video_note", "video")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[JSON]:
    """The entities Telegram's clients mark in a typed message: commands, mentions, links."""
    entities = []
    for kind, pattern in _ENTITY_PATTERNS:
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": _utf16(text[: match.start()]),
                    "length": _utf16(match.group()),
                }
            )
    return sorted(entities, key=lambda entity: entity["offset"])


def _user(body: JSON, chat_id: int) -> JSON:
    given = body.get("user") or {}
    user_id = int(given.get("id") or body.get("user_id") or (chat_id if chat_id > 0 else 1))
    user: JSON = {
        "id": user_id,
        "is_bot": False,
        "first_name": given.get("first_name") or body.get("first_name") or f"User {user_id}",
        "language_code": given.get("language_code") or "en",
    }
    username = given.get("username") or body.get("username")
    if username:
        user["username"] = username
    return user


def _chat_type(body: JSON, chat_id: int) -> str:
    return str(body.get("chat_type") or ("private" if chat_id > 0 else "group"))


class UserApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/sandbox/api/messages", self.send_message),
            web.post("/sandbox/api/files", self.send_file),
            web.post("/sandbox/api/callbacks", self.press_button),
            web.post("/sandbox/api/updates", self.send_updates),
            web.get("/sandbox/api/events", self.events),
            web.get("/sandbox/api/chats/{chat_id}/messages", self.messages),
            web.get("/sandbox/api/commands", self.commands),
            web.get("/sandbox/api/stats", self.stats),
            web.post("/sandbox/api/faults", self.faults),
            web.get("/sandbox/api/files/{file_id}", self.download),
            web.get("/sandbox/api/status", self.status),
            web.get("/sandbox/api/chats", self.chats),
        ]

    async def _post(self, chat_id: int, body: JSON, content: JSON) -> web.Response:
        user = _user(body, chat_id)
        self.state.ensure_chat(chat_id, _chat_type(body, chat_id), body.get("chat_title"), user)
        reply_to = body.get("reply_to_message_id")
        if reply_to:
            replied = self.state.message(chat_id, int(reply_to))
            if replied is None:
                raise web.HTTPBadRequest(text="reply_to_message_id: no such message")
            content["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        message = self.state.add_message(chat_id, user, content)
        update = await self.state.add_update({"message": message})
        view = self.state.user_view(message)
        await self.state.add_event("message", chat_id, message=view)
        return web.json_response({"message": view, "update_id": update["update_id"]})

    async def send_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id, text = int(body["chat_id"]), str(body.get("text") or "")
        if not text.strip():
            raise web.HTTPBadRequest(text="text: empty")
        content: JSON = {"text": text}
        entities = text_entities(text)
        if entities:
            content["entities"] = entities
        return await self._post(chat_id, body, content)

    async def send_file(self, request: web.Request) -> web.Response:
        form = await request.post()
        body: JSON = {key: value for key, value in form.items() if isinstance(value, str)}
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="file: missing")
        kind = str(body.get("kind") or "document")
        if kind not in FILE_KINDS:
            raise web.HTTPBadRequest(text=f"kind: one of {', '.join(FILE_KINDS)}")
        file_name = str(body.get("file_name") or upload.filename or "file")
        mime_type = str(body.get("mime_type") or upload.content_type or "application/octet-stream")
        data = upload.file.read()
        seconds = int(float(body.get("duration") or 0))
        if kind == "voice" and str(body.get("as_is") or "").lower() not in ("1", "true"):
            # Telegram delivers every voice note as OGG/Opus 48 kHz mono, whatever was recorded.
            try:
                note = await asyncio.to_thread(media.to_voice_note, data)
            except media.AudioError as error:
                return web.json_response({"error": str(error)}, status=400)
            data, seconds, mime_type = note.data, note.duration, media.VOICE_MIME_TYPE
            file_name = "voice.ogg"
        elif kind == "audio" and not seconds:
            seconds = await asyncio.to_thread(media.duration, data)
        width, height = (
            await asyncio.to_thread(media.picture_size, data) if kind == "photo" else (0, 0)
        )
        stored = self.state.store_file(data, kind, file_name, mime_type)
        payload: JSON = {**stored.as_json(), "mime_type": mime_type}
        if kind in ("voice", "audio", "video_note", "video"):
            payload["duration"] = seconds
        if kind in ("document", "audio", "video"):
            payload["file_name"] = file_name
        if kind == "video_note":
            payload["length"] = 240
        if kind == "video":  # Telegram always tells a video's size; PTB requires it
            payload.update(width=640, height=360)
        content: JSON = {
            kind: [{**payload, "width": width, "height": height}] if kind == "photo" else payload
        }
        caption = str(body.get("caption") or "")
        if caption:
            content["caption"] = caption
        if body.get("media_group_id"):  # one of the files of an album
            content["media_group_id"] = str(body["media_group_id"])
        return await self._post(int(body["chat_id"]), body, content)

    async def press_button(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id, message_id = int(body["chat_id"]), int(body["message_id"])
        message = self.state.message(chat_id, message_id)
        if message is None:
            raise web.HTTPNotFound(text="no such message")
        query_id = f"cq{len(self.state.events)}-{message_id}"
        query: JSON = {
            "id": query_id,
            "from": _user(body, chat_id),
            "message": message,
            "chat_instance": str(chat_id),
            "data": str(body["data"]),
        }
        self.state.callback_queries[query_id] = query
        update = await self.state.add_update({"callback_query": query})
        return web.json_response({"callback_query_id": query_id, "update_id": update["update_id"]})

    async def send_updates(self, request: web.Request) -> web.Response:
        """Queue `{"updates": [...]}` for the bot exactly as given, numbered, in one batch: updates
        the chat side cannot make (a poll an older server sends, a message with no sender, a
        channel post, a press with no data). A message with a chat is also kept in it (numbered
        and dated when it is not), so the bot can reply; a callback query with an id can be
        answered."""
        body = await request.json()
        payloads = body.get("updates") if isinstance(body, dict) else None
        if not isinstance(payloads, list) or not all(
            isinstance(payload, dict) and "update_id" not in payload for payload in payloads
        ):
            raise web.HTTPBadRequest(text="updates: a list of objects without update_id")
        kept = [message for payload in payloads if (message := self._keep(payload)) is not None]
        updates = await self.state.add_updates(payloads)
        for message in kept:
            await self.state.add_event(
                "message", message["chat"]["id"], message=self.state.user_view(message)
            )
        return web.json_response({"updates": updates})

    def _keep(self, payload: JSON) -> JSON | None:
        """Keep what a raw update brings: its message (returned) or its callback query."""
        query = payload.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self.state.callback_queries[str(query["id"])] = query
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = payload.get(kind)
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                return self.state.keep_raw_message(message)
        return None

    async def events(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after", 0))
        timeout = min(float(request.query.get("timeout", 0)), 60.0)
        chat = request.query.get("chat_id")
        events = await self.state.wait_events(after, timeout, int(chat) if chat else None)
        return web.json_response({"events": events, "last_seq": len(self.state.events)})

    async def messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        stored = self.state.messages.get(chat_id, {})
        drafts = [draft for (chat, _), draft in self.state.drafts.items() if chat == chat_id]
        return web.json_response(
            {"messages": [self.state.user_view(m) for m in stored.values()], "drafts": drafts}
        )

    async def commands(self, request: web.Request) -> web.Response:
        return web.json_response({"commands": self.state.commands})

    async def stats(self, request: web.Request) -> web.Response:
        calls = dict(self.state.calls)
        return web.json_response({"calls": calls, "total": sum(calls.values())})

    async def faults(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        method = str(body["method"]).lower()
        fault = Fault(
            error_code=int(body.get("error_code") or 0),
            description=str(body.get("description") or ""),
            retry_after=body.get("retry_after"),
            delay=float(body.get("delay") or 0),
        )
        if fault.error_code == 429 and not fault.description:
            fault.description = f"Too Many Requests: retry after {fault.retry_after or 1}"
        seconds = float(body.get("seconds") or 0)
        if seconds > 0:  # every call for that long, however many
            self.state.fault_windows[method] = (fault, time.monotonic() + seconds)
            return web.json_response({"ok": True, "pending": 0})
        queue = self.state.faults.setdefault(method, deque())
        queue.extend([fault] * int(body.get("count", 1)))
        return web.json_response({"ok": True, "pending": len(queue)})

    async def download(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        name = quote(stored.file_name or stored.file_path.rpartition("/")[2])
        headers = {
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "Accept-Ranges": "bytes",
        }
        content_type = stored.mime_type or "application/octet-stream"
        # Browsers read an OGG's length from its end: without ranges <audio> may say "Infinity".
        try:
            wanted = request.http_range
        except ValueError:
            wanted = slice(None)
        size = len(stored.data)
        if wanted.start is None and wanted.stop is None:
            return web.Response(body=stored.data, content_type=content_type, headers=headers)
        start, stop, _ = wanted.indices(size)
        if start >= size or start >= stop:
            raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        return web.Response(
            status=206, body=stored.data[start:stop], content_type=content_type, headers=headers
        )

    async def status(self, request: web.Request) -> web.Response:
        """What the page shows while things start: is the bot polling, is its model loaded."""
        return web.json_response(
            {
                "bot": {**self.state.bot_user(), "connected": self.state.bot_connected()},
                "model": self.state.model_status,
                "last_seq": len(self.state.events),
            }
        )

    async def chats(self, request: web.Request) -> web.Response:
        return web.json_response({"chats": list(self.state.chats.values())})
