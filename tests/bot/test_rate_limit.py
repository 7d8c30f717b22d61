"""Waiting out a 429: every call RETRIES times unless it asks for no retry (NO_RETRY)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

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


async def _outage_calls(
    limiter: RateLimiter, failures: int, error: Exception, endpoint: str = "sendMessage"
) -> tuple[int, object]:
    calls = 0

    async def flaky() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls <= failures:
            raise error
        return {"ok": True}

    result = await limiter.process_request(flaky, (), {}, endpoint, {"chat_id": 1}, None)
    return calls, result


async def test_a_call_is_tried_again_through_5xx_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tgtrainer.bot.rate_limit.FIRST_BACKOFF", 0.01)
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2, retry_seconds=5)
    calls, result = await _outage_calls(limiter, 3, NetworkError("Internal Server Error (500)"))
    assert (calls, result) == (4, {"ok": True})


async def test_a_call_that_never_left_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tgtrainer.bot.rate_limit.FIRST_BACKOFF", 0.01)
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2, retry_seconds=5)
    refused = NetworkError("httpx.ConnectError")
    refused.__cause__ = httpx.ConnectError("connection refused")
    assert (await _outage_calls(limiter, 2, refused))[0] == 3


async def test_a_send_that_may_have_arrived_is_not_repeated() -> None:
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2, retry_seconds=5)
    lost = TimedOut()
    lost.__cause__ = httpx.ReadTimeout("no answer")
    with pytest.raises(TimedOut):
        await _outage_calls(limiter, 1, lost)
    # an edit may be repeated: showing the same text twice changes nothing
    assert (await _outage_calls(limiter, 1, lost, "editMessageText"))[0] == 2


async def test_outage_retries_stop_after_retry_seconds_and_never_for_bad_requests() -> None:
    limiter = RateLimiter(overall_max_rate=0, group_max_rate=0, retries=2, retry_seconds=0.2)
    with pytest.raises(NetworkError):
        await _outage_calls(limiter, 100, NetworkError("Bad Gateway"))
    with pytest.raises(BadRequest):
        await _outage_calls(limiter, 1, BadRequest("chat not found"))
    with pytest.raises(NetworkError):  # NO_RETRY: previews fail at once
        await limiter.process_request(
            _raise(NetworkError("Bad Gateway")), (), {}, "sendMessageDraft", {}, 0
        )


def _raise(error: Exception) -> Any:
    async def call() -> dict[str, Any]:
        raise error

    return call
