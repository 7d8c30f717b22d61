"""The Bot API methods as the sandbox answers them: the bot's side of the protocol.

Each handler takes the call's parameters (already decoded from JSON, form or multipart) and
returns the `result`, or raises `BotApiError` with the code and description Telegram would give.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.web import FileField

from tgtrainer.sandbox.errors import BotApiError, bad_request
from tgtrainer.sandbox.records import JSON
from tgtrainer.sandbox.state import SandboxState
from tgtrainer.sandbox.telegram_html import TelegramHtmlError, parse_html
from tgtrainer.sandbox.webhook import WEBHOOK_METHODS, conflict_with_webhook

__all__ = ["METHODS", "BotApiError", "bad_request", "call", "decode_parameters"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
Handler = Callable[[SandboxState, JSON], Awaitable[Any]]
JSON_PARAMETERS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "reply_parameters",
    "commands",
    "allowed_updates",
    "reaction",
    "link_preview_options",
    "scope",
}


def decode_parameters(raw: dict[str, Any]) -> JSON:
    """Form values arrive as strings; those the Bot API defines as objects are JSON inside."""
    decoded: JSON = {}
    for name, value in raw.items():
        if name in JSON_PARAMETERS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise bad_request(f"can't parse {name} JSON object") from error
        decoded[name] = value
    return decoded


def _int(params: JSON, name: str, *, required: bool = True) -> int:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
        return 0
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise bad_request(f"invalid {name} specified") from error


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chat(state: SandboxState, params: JSON) -> JSON:
    chat = state.chat(_int(params, "chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    return chat


def formatted(
    params: JSON, field: str = "text", limit: int = MAX_TEXT
) -> tuple[str, list[JSON], str]:
    """The visible text, its entities and the HTML to show, as Telegram parses them."""
    raw = str(params.get(field) or "")
    parse_mode = str(params.get("parse_mode") or "").lower()
    entities_name = "entities" if field == "text" else "caption_entities"
    if parse_mode == "html":
        try:
            text, entities = parse_html(raw, strict=False)
        except TelegramHtmlError as error:
            raise bad_request(f"can't parse entities: {error.description}") from error
        html = raw
    elif parse_mode:
        raise bad_request(f"unsupported parse_mode {params.get('parse_mode')!s}")
    else:
        text, entities = raw, list(params.get(entities_name) or [])
        html = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if field == "text" and not text.strip():
        raise bad_request("message text is empty")
    if _utf16(text) > limit:
        raise bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    return text, entities, html


def _reply_to(state: SandboxState, chat_id: int, params: JSON) -> JSON:
    reply = params.get("reply_parameters") or {}
    message_id = reply.get("message_id") or params.get("reply_to_message_id")
    if not message_id:
        return {}
    replied = state.message(chat_id, int(message_id))
    if replied is None:
        if reply.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in replied.items() if k != "reply_to_message"}}


async def get_me(state: SandboxState, params: JSON) -> JSON:
    return state.bot_user()


async def get_updates(state: SandboxState, params: JSON) -> list[JSON]:
    conflict_with_webhook(state)
    offset = _int(params, "offset", required=False)
    limit = min(max(_int(params, "limit", required=False) or 100, 1), 100)
    timeout = float(params.get("timeout") or 0)
    updates = await state.take_updates(offset, limit, timeout)
    conflict_with_webhook(state, during_poll=True)
    return updates


async def set_my_commands(state: SandboxState, params: JSON) -> bool:
    commands = params.get("commands") or []
    state.set_commands(
        [{"command": c["command"], "description": c["description"]} for c in commands]
    )
    await state.add_event("commands", 0, commands=state.commands)
    return True


async def get_my_commands(state: SandboxState, params: JSON) -> list[JSON]:
    return state.commands


async def delete_my_commands(state: SandboxState, params: JSON) -> bool:
    state.set_commands([])
    await state.add_event("commands", 0, commands=state.commands)
    return True


def _inline_keyboard(params: JSON) -> bool:
    """Telegram keeps only an inline keyboard on the message; a ForceReply or a reply keyboard
    acts on the user's client and is never part of the message the bot gets back."""
    markup = params.get("reply_markup")
    return isinstance(markup, dict) and "inline_keyboard" in markup


async def send_message(state: SandboxState, params: JSON) -> JSON:
    chat = _chat(state, params)
    text, entities, html = formatted(params)
    content: JSON = {"text": text, **_reply_to(state, chat["id"], params)}
    if entities:
        content["entities"] = entities
    if _inline_keyboard(params):
        content["reply_markup"] = params["reply_markup"]
    message = state.add_message(chat["id"], state.bot_user(), content, html)
    for key in [key for key in state.drafts if key[0] == chat["id"]]:
        del state.drafts[key]
    await state.add_event("message", chat["id"], message=state.user_view(message))
    return message


async def send_message_draft(state: SandboxState, params: JSON) -> bool:
    chat = _chat(state, params)
    if chat["type"] != "private":
        raise bad_request("TEXTDRAFT_PEER_INVALID")
    draft_id = _int(params, "draft_id")
    if draft_id == 0:
        raise bad_request("draft_id must be non-zero")
    text, entities, html = ("", [], "") if not params.get("text") else formatted(params)
    draft = {"draft_id": draft_id, "text": text, "entities": entities, "html": html}
    state.drafts[(chat["id"], draft_id)] = draft
    await state.add_event("draft", chat["id"], draft=draft)
    return True


async def edit_message_text(state: SandboxState, params: JSON) -> JSON:
    chat = _chat(state, params)
    message = state.message(chat["id"], _int(params, "message_id"))
    if message is None or not state.from_bot(message):
        raise bad_request("message to edit not found")
    text, entities, html = formatted(params)
    markup = params.get("reply_markup")
    if (text, entities, markup) == (
        message.get("text"),
        message.get("entities", []),
        message.get("reply_markup"),
    ):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.update(text=text, entities=entities, edit_date=int(time.time()))
    if markup is not None:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)
    state.html[(chat["id"], message["message_id"])] = html
    await state.add_event("edit", chat["id"], message=state.user_view(message))
    return message


async def edit_message_reply_markup(state: SandboxState, params: JSON) -> JSON:
    chat = _chat(state, params)
    message = state.message(chat["id"], _int(params, "message_id"))
    if message is None or not state.from_bot(message):
        raise bad_request("message to edit not found")
    if params.get("reply_markup"):
        message["reply_markup"] = params["reply_markup"]
    else:
        message.pop("reply_markup", None)
    await state.add_event("edit", chat["id"], message=state.user_view(message))
    return message


async def delete_message(state: SandboxState, params: JSON) -> bool:
    chat = _chat(state, params)
    message_id = _int(params, "message_id")
    if state.messages[chat["id"]].pop(message_id, None) is None:
        raise bad_request("message to delete not found")
    await state.add_event("delete", chat["id"], message_id=message_id)
    return True


async def send_chat_action(state: SandboxState, params: JSON) -> bool:
    chat = _chat(state, params)
    await state.add_event("chat_action", chat["id"], action=str(params.get("action", "")))
    return True


def _media_sender(kind: str) -> Handler:
    async def send(state: SandboxState, params: JSON) -> JSON:
        chat = _chat(state, params)
        upload = params.get(kind)
        if isinstance(upload, FileField):
            data = upload.file.read()
            stored = state.store_file(data, kind, upload.filename, upload.content_type)
        elif isinstance(upload, str) and upload in state.files:
            stored = state.files[upload]
        else:
            raise bad_request(f"there is no {kind} in the request")
        if not stored.data:
            raise bad_request("file must be non-empty")
        payload = stored.as_json()
        if kind in ("voice", "audio"):
            payload["duration"] = _int(params, "duration", required=False)
            payload["mime_type"] = stored.mime_type or (
                "audio/ogg" if kind == "voice" else "audio/mpeg"
            )
        if kind in ("document", "audio"):
            payload["file_name"] = stored.file_name or f"{kind}.bin"
            payload.setdefault("mime_type", stored.mime_type or "application/octet-stream")
        content: JSON = {kind: [payload] if kind == "photo" else payload}
        if params.get("caption"):
            caption, entities, _html = formatted(params, "caption", MAX_CAPTION)
            content.update(caption=caption, caption_entities=entities)
        content.update(_reply_to(state, chat["id"], params))
        if _inline_keyboard(params):
            content["reply_markup"] = params["reply_markup"]
        message = state.add_message(chat["id"], state.bot_user(), content)
        await state.add_event("message", chat["id"], message=state.user_view(message))
        return message

    return send


async def get_file(state: SandboxState, params: JSON) -> JSON:
    stored = state.files.get(str(params.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    return {**stored.as_json(), "file_path": stored.file_path}


async def answer_callback_query(state: SandboxState, params: JSON) -> bool:
    query = state.callback_queries.pop(str(params.get("callback_query_id", "")), None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    message = query.get("message") or {}  # none for a raw update's press without a message
    await state.add_event(
        "callback_answer",
        int(message.get("chat", {}).get("id", 0)),
        callback_query_id=query["id"],
        text=params.get("text"),
        show_alert=str(params.get("show_alert", "")).lower() == "true",
    )
    return True


async def set_message_reaction(state: SandboxState, params: JSON) -> bool:
    chat = _chat(state, params)
    message_id = _int(params, "message_id")
    if state.message(chat["id"], message_id) is None:
        raise bad_request("message to react not found")
    reaction = list(params.get("reaction") or [])
    state.reactions[(chat["id"], message_id)] = reaction
    await state.add_event("reaction", chat["id"], message_id=message_id, reaction=reaction)
    return True


async def get_chat(state: SandboxState, params: JSON) -> JSON:
    return _chat(state, params)


async def ok(state: SandboxState, params: JSON) -> bool:
    return True


METHODS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "sendmessage": send_message,
    "sendmessagedraft": send_message_draft,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "sendchataction": send_chat_action,
    "sendvoice": _media_sender("voice"),
    "sendaudio": _media_sender("audio"),
    "senddocument": _media_sender("document"),
    "sendphoto": _media_sender("photo"),
    "getfile": get_file,
    "answercallbackquery": answer_callback_query,
    "setmessagereaction": set_message_reaction,
    "getchat": get_chat,
    **WEBHOOK_METHODS,
    "close": ok,
    "logout": ok,
}


async def call(state: SandboxState, method: str, params: JSON) -> Any:
    """Run one Bot API call, injected faults first."""
    name = method.lower()
    handler = METHODS.get(name)
    if handler is None:
        raise BotApiError(404, "Not Found")
    state.calls[name] += 1
    fault = state.take_fault(name)
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.error_code:
            raise BotApiError(fault.error_code, fault.description, fault.retry_after)
    return await handler(state, params)
