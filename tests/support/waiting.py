"""Waiting, in end-to-end tests, for the bot's replies and for the fake model's requests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer


async def seq(client: SandboxClient) -> int:
    last: int = (await client.events(after=0, timeout=0))["last_seq"]
    return last


async def replies(
    client: SandboxClient, chat_id: int, after: int, count: int = 1, timeout: float = 30
) -> list[dict[str, Any]]:
    return await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= count, timeout=timeout
    )


async def model_got(fake: FakeOpenAIServer, text: str, after: int, timeout: float = 10) -> None:
    """Wait until the fake model has received `text` as the newest message in a request after
    its first `after` ones (take `len(fake.requests)` before sending: the server is shared, and
    an earlier test may have sent the same words)."""
    deadline = time.monotonic() + timeout
    while not any(r["messages"][-1]["content"] == text for r in fake.requests[after:]):
        assert time.monotonic() < deadline, f"the model never got {text!r}"
        await asyncio.sleep(0.05)
