"""The error a Bot API method answers with, as Telegram words it."""

from __future__ import annotations


class BotApiError(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {description}")
