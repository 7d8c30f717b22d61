"""How the bot paces its Bot API calls and waits out a 429 ("retry after").

PTB's `AIORateLimiter` takes a call's `rate_limit_args` as that call's number of retries, but
reads it with `rate_limit_args or max_retries`: a call cannot ask for zero retries unless the
limiter's own default is zero. So the limiter keeps PTB's default of no retries, and every call
that passes no `rate_limit_args` gets `retries`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]  # a Bot API answer, as PTB types it

RETRIES = 3
"""How many times a call waits out a 429 (its `retry_after`) before giving up."""

NO_RETRY: dict[str, Any] = {"rate_limit_args": 0}
"""Keyword arguments for a call that must not wait out a 429 (a preview, "typing...")."""


class RateLimiter(AIORateLimiter):
    """`AIORateLimiter` with `retries` for calls that pass no `rate_limit_args`."""

    def __init__(self, *, overall_max_rate: float, group_max_rate: float, retries: int) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=0
        )
        self.retries = retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        retries = self.retries if rate_limit_args is None else rate_limit_args
        return await super().process_request(callback, args, kwargs, endpoint, data, retries)
