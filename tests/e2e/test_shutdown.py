"""SIGTERM while the model hangs: the bot exits within seconds and tells the user whose answer
it stopped (issue 12, defect 7). Its own module: no other bot process polls meanwhile."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.conftest import running_bot
from tests.support.waiting import model_got, replies, seq
from tgtrainer.bot.running import SHUTTING_DOWN
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer


def test_sigterm_with_a_hung_model_exits_in_seconds_and_tells_the_user(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path: Path,
    chat_id: int,
) -> None:
    async def ask_and_wait_for_the_model() -> int:
        async with SandboxClient(sandbox_server.url) as client:
            after = await seq(client)
            asked = len(fake_openai.requests)
            await client.send_text(chat_id, "Will you answer before you stop?")
            await model_got(fake_openai, "Will you answer before you stop?", asked)
            return after

    async def the_replies(after: int) -> list[dict[str, Any]]:
        async with SandboxClient(sandbox_server.url) as client:
            return await replies(client, chat_id, after, timeout=5)

    slow = {"LLM_TIMEOUT": "30", "LLM_MAX_RETRIES": "3", "ANSWER_TIMEOUT": "120"}
    with running_bot(sandbox_server, fake_openai, tmp_path, **slow) as process:
        fake_openai.hang_next(600)
        after = asyncio.run(ask_and_wait_for_the_model())
        started = time.monotonic()
        assert process.stop() == 0
        took = time.monotonic() - started
    assert took < 8, took
    [told] = asyncio.run(the_replies(after))
    assert told["text"] == SHUTTING_DOWN
    print(f"\nSIGTERM with a hung model: exited in {took:.1f} s")
