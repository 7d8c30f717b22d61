"""Waiting out a 429: every call RETRIES times unless it asks for no retry (NO_RETRY)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import RetryAfter

from tgtrainer.bot.rate_limit import NO_RETRY, RateLimiter

# RetryAfter reads its own retry_after, which warns until PTB makes it a timedelta (PTB_TIMEDELTA)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def _calls(limiter: RateLimiter, rate_limit_args: int | None) -> int:
    calls = 0

    async def refused() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await limiter.process_request(
            refused, (), {}, "sendMessage", {"chat_id": 1}, rate_limit_args
        )
    return calls


async def test_a_call_waits_out_a_429_the_default_number_of_times() -> None:
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2)
    assert await _calls(limiter, None) == 3


async def test_a_call_that_asks_for_no_retry_is_refused_at_once() -> None:
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2)
    assert await _calls(limiter, NO_RETRY["rate_limit_args"]) == 1


async def test_a_call_may_ask_for_its_own_number_of_retries() -> None:
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2)
    assert await _calls(limiter, 1) == 2
