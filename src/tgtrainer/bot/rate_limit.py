"""How the bot paces its Bot API calls, waits out a 429 ("retry after") and rides out outages.

PTB's `AIORateLimiter` takes a call's `rate_limit_args` as that call's number of retries, but
reads it with `rate_limit_args or max_retries`: a call cannot ask for zero retries unless the
limiter's own default is zero. So the limiter keeps PTB's default of no retries, and every call
that passes no `rate_limit_args` gets `retries`.

On top of that, a call that passes no `rate_limit_args` is tried again, with exponential backoff,
for up to `retry_seconds` when the Bot API answers 5xx or cannot be reached (a 429 is waited out
by PTB, `retry_after` each time, `retries` times). A call is never repeated when it may have
reached Telegram already (a send that timed out while waiting for the answer): repeating it
could show a message twice. Calls with `NO_RETRY` (previews, "typing...") fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
JSONDict = dict[str, Any]  # a Bot API answer, as PTB types it

RETRIES = 3
"""How many times a call waits out a 429 (its `retry_after`) before giving up."""

RETRY_SECONDS = 60.0
"""How long a call keeps trying through 5xx answers and network errors."""

NO_RETRY: dict[str, Any] = {"rate_limit_args": 0}
"""Keyword arguments for a call that must not wait out a 429 (a preview, "typing...")."""

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_CREATING = ("send", "copy", "forward")  # methods whose repetition shows something twice


class RateLimiter(AIORateLimiter):
    """`AIORateLimiter` with `retries` for calls that pass no `rate_limit_args`, and retries
    through outages for `retry_seconds`."""

    def __init__(
        self,
        *,
        overall_max_rate: float,
        group_max_rate: float,
        retries: int,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=0
        )
        self.retries = retries
        self.retry_seconds = retry_seconds

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
        deadline = time.monotonic() + (self.retry_seconds if rate_limit_args is None else 0)
        backoff = FIRST_BACKOFF
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, retries
                )
            except TelegramError as error:
                wait = _wait_before_retry(error, endpoint, backoff)
                if wait is None or time.monotonic() + wait > deadline:
                    raise
                log.info("Bot API %s failed (%s); trying again in %.1f s", endpoint, error, wait)
                await asyncio.sleep(wait)
                backoff = min(backoff * 2, MAX_BACKOFF)


def _wait_before_retry(error: TelegramError, endpoint: str, backoff: float) -> float | None:
    """Seconds to wait before trying `endpoint` again after `error`; None: do not."""
    if not isinstance(error, NetworkError) or isinstance(error, BadRequest):
        return None  # Telegram's verdict on the call itself: trying again changes nothing
    cause = error.__cause__
    if cause is None or isinstance(cause, _NOT_SENT):
        return backoff  # a 5xx answer, or the call never left: nothing was shown
    creating = endpoint.lower().startswith(_CREATING)
    return None if creating else backoff  # it may have arrived: only repeat what is harmless
