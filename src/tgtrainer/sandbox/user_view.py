"""A stored Bot API message as the user side (the page, the user API) shows it."""

from __future__ import annotations

from tgtrainer.sandbox.records import JSON


def user_view(message: JSON, *, from_bot: bool, html: str | None, reactions: list[JSON]) -> JSON:
    """`message` flat, with the HTML the bot sent (`html`; None: its text, escaped)."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    attachment = next(
        (kind for kind in ("voice", "audio", "document", "photo", "video_note") if kind in message),
        None,
    )
    view: JSON = {
        "message_id": message_id,
        "chat_id": chat_id,
        "from_bot": from_bot,
        "from": message.get("from"),
        "date": message["date"],
        "edit_date": message.get("edit_date"),
        "text": message.get("text", message.get("caption", "")),
        "entities": message.get("entities", message.get("caption_entities", [])),
        "html": html or _escape(message.get("text", "")),
        "reply_markup": message.get("reply_markup"),
        "reply_to_message_id": (message.get("reply_to_message") or {}).get("message_id"),
        "kind": attachment or "text",
        "reactions": reactions,
    }
    if attachment is not None:
        payload = message[attachment]
        payload = payload[-1] if isinstance(payload, list) else payload
        view.update(
            file_id=payload["file_id"],
            file_name=payload.get("file_name"),
            mime_type=payload.get("mime_type"),
            duration=payload.get("duration"),
            file_size=payload.get("file_size"),
        )
    return view


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
