"""Raw Bot API updates for `SandboxClient.send_updates`: the odd ones the chat side cannot make.

Messages carry no `message_id` or `date`: the sandbox numbers and dates them in their chat.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
# A poll as an older or a third-party Bot API server sends it: without the options'
# `persistent_id`, which python-telegram-bot 22 requires since Bot API 9.6.
OLD_POLL: JSON = {
    "id": "5001",
    "question": "Tea or coffee?",
    "options": [{"text": "Tea", "voter_count": 0}, {"text": "Coffee", "voter_count": 0}],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
}


def person(user_id: int, first_name: str = "Ann") -> JSON:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def chat(chat_id: int, chat_type: str | None = None) -> JSON:
    """A private chat for a positive id (the user's own), else a group (or `chat_type`)."""
    kind = chat_type or ("private" if chat_id > 0 else "group")
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Ann"}
    return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}


def message(chat_id: int, *, sender: JSON | None = None, **content: Any) -> JSON:
    """`{"message": ...}` in chat `chat_id`, from `sender` (default: the chat's own person for a
    private chat, user 1 in a group); `sender={}` sends it with no `from` at all."""
    body: JSON = {"chat": chat(chat_id, content.pop("chat_type", None)), **content}
    if sender is None:
        sender = person(chat_id if chat_id > 0 else 1)
    if sender:
        body["from"] = sender
    return {"message": body}


def text(chat_id: int, words: str, **extra: Any) -> JSON:
    return message(chat_id, text=words, **extra)


def old_poll(chat_id: int) -> JSON:
    return message(chat_id, poll=OLD_POLL)


def press(
    chat_id: int, message_id: int | None, data: str | None, *, query_id: str, user_id: int
) -> JSON:
    """A button press; `data` None: a press with no data; `message_id` None: no message."""
    query: JSON = {"id": query_id, "from": person(user_id), "chat_instance": str(chat_id)}
    if message_id is not None:
        query["message"] = {
            "message_id": message_id,
            "date": 0,
            "chat": chat(chat_id),
            "from": {"id": 123456, "is_bot": True, "first_name": "tgtrainer"},
            "text": "a menu",
        }
    if data is not None:
        query["data"] = data
    return {"callback_query": query}
