"""Long polling that survives an update python-telegram-bot cannot read.

PTB parses a getUpdates batch as a whole: one update it cannot read (a poll without
`persistent_id`, as an older or a third-party Bot API server sends it) fails the whole batch, the
offset never moves past it, and the bot polls the same batch again and again. Here each update is
tried on its own first: one that cannot be read is logged once, by its id and never its content,
and handed on bare (its id alone), which no handler takes, so the offset moves past it and the
rest of the batch is handled.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class SkippingUpdatesRequest(HTTPXRequest):
    """The HTTP client for getUpdates alone (`ApplicationBuilder.get_updates_request`): the
    updates it returns are ones PTB can read."""

    def __init__(self) -> None:
        super().__init__(connection_pool_size=1)  # what PTB gives getUpdates by default

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """PTB's documented hook for reading a response; a getUpdates result is a list."""
        response = HTTPXRequest.parse_json_payload(payload)
        if isinstance(response.get("result"), list):
            updates = (readable(raw) for raw in response["result"])
            response["result"] = [update for update in updates if update is not None]
        return response


def readable(raw: object) -> dict[str, Any] | None:
    """`raw` if PTB can read it; else its id alone (logged once); None if it has no id."""
    if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
        log.warning("an update without an id was skipped")
        return None
    try:
        Update.de_json(raw, None)
    except Exception as error:  # PTB raises whatever its constructors raise on unexpected data
        kinds = ", ".join(str(key) for key in raw if key != "update_id") or "empty"
        log.warning(
            "update %s (%s) skipped: python-telegram-bot cannot read it (%s)",
            raw["update_id"],
            kinds,
            type(error).__name__,
        )
        return {"update_id": raw["update_id"]}
    return raw
