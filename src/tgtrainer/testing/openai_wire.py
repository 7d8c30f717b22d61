"""What the fake OpenAI server sends: completions, stream chunks, usage and errors, as OpenAI's."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

__all__ = [
    "completion",
    "completion_chunk",
    "drop",
    "error_response",
    "has_picture",
    "message_text",
    "split_reply",
    "token_usage",
]


def message_text(content: Any) -> str:
    """A chat message's text, from either form of its `content`."""
    if isinstance(content, list):  # the multi-part form: [{"type": "text", "text": ...}, ...]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def split_reply(text: str) -> list[str]:
    """The reply in stream chunks, one word (with the spaces after it) each; joins back exactly."""
    return re.findall(r"\s+|\S+\s*", text) if text else []


def completion(ident: str, body: dict[str, Any], text: str) -> dict[str, Any]:
    """A whole (not streamed) chat completion answering the request `body` with `text`."""
    return {
        "id": ident,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": token_usage(body, text),
    }


def completion_chunk(
    ident: str, created: int, model: str, delta: dict[str, str], finish: str | None
) -> dict[str, Any]:
    """One server-sent event of a streamed completion."""
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def token_usage(body: dict[str, Any], text: str) -> dict[str, int]:
    """Tokens counted as words: the request's messages, the reply."""
    prompt = sum(len(message_text(m.get("content")).split()) for m in body.get("messages", []))
    reply = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": reply,
        "total_tokens": prompt + reply,
    }


def error_response(
    status: int,
    message: str,
    kind: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An error as OpenAI words it: {"error": {"message", "type", "param", "code"}}."""
    payload = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(payload, status=status, headers=headers)


def drop(request: web.Request) -> None:
    """Cut the connection with no proper end, as a crashing server would."""
    if request.transport is not None:
        request.transport.abort()


def has_picture(messages: list[Any]) -> bool:
    """Whether a chat request's messages carry an image part."""
    return any(
        isinstance(part, dict) and part.get("type") == "image_url"
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
    )
