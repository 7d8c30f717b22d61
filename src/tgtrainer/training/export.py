"""The dialogue log as one JSON document: chat by chat, every turn with its times, rating and
correction; what a user archives or inspects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tgtrainer.storage.dialogue import LoggedTurn

RATINGS = {1: "good", -1: "bad", None: None}


def _time(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()


def _turn(turn: LoggedTurn) -> dict[str, Any]:
    return {
        "conversation": turn.conversation,
        "user_id": turn.user_id,
        "question": turn.question,
        "asked_at": _time(turn.asked_at),
        "answer": turn.answer,
        "answered_at": _time(turn.answered_at),
        "model": turn.model,
        "adapter": turn.adapter,
        "prompt": turn.prompt,
        "sources": turn.sources,
        "rating": RATINGS[turn.rating],
        "rated_at": _time(turn.rated_at),
        "correction": turn.correction,
        "corrected_at": _time(turn.corrected_at),
    }


def dialogue_export(turns: Iterable[LoggedTurn]) -> dict[str, Any]:
    """`{"exported_at", "chats": [{"chat_id", "type", "title", "turns": [...]}]}`, in the
    order of `turns` (chat by chat, oldest first)."""
    chats: dict[int, dict[str, Any]] = {}
    for turn in turns:
        chat = chats.setdefault(
            turn.chat_id,
            {
                "chat_id": turn.chat_id,
                "type": turn.chat_type,
                "title": turn.chat_title,
                "turns": [],
            },
        )
        chat["turns"].append(_turn(turn))
    return {"exported_at": _time(datetime.now(UTC).timestamp()), "chats": list(chats.values())}
