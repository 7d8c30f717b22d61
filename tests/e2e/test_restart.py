"""Stopping and starting the bot: nothing lost or answered twice, replies in flight finished."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS, BotProcess, bot_environment
from tests.support.waiting import model_got
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

TIMEOUT = 30


@pytest.fixture
def bot_process(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> Iterator[BotProcess]:
    process = BotProcess(
        bot_environment(sandbox_server, fake_openai, tmp_path / "data"), tmp_path / "bot.log"
    )
    yield process
    if process.process is not None and process.process.poll() is None:
        process.stop()


async def test_history_survives_a_restart(
    bot_process: BotProcess, client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    bot_process.start()
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "The password is swordfish.")
    await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) == 1, timeout=TIMEOUT
    )
    assert await asyncio.to_thread(bot_process.stop) == 0

    bot_process.start()
    await client.send_text(chat_id, "What is the password?")
    messages = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) == 2, timeout=TIMEOUT
    )
    assert messages[1]["text"] == "You said: What is the password?"
    request = fake_openai.requests[-1]
    assert [m["content"] for m in request["messages"][1:]] == [
        "The password is swordfish.",
        "You said: The password is swordfish.",
        "What is the password?",
    ]


async def test_a_message_sent_while_the_bot_is_down_is_answered_once_it_is_back(
    bot_process: BotProcess, client: SandboxClient, chat_id: int
) -> None:
    bot_process.start()
    assert await asyncio.to_thread(bot_process.stop) == 0
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "Anyone home?")
    bot_process.start()
    messages = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) >= 1, timeout=TIMEOUT
    )
    assert messages[0]["text"] == "You said: Anyone home?"


async def test_sigterm_mid_reply_finishes_the_reply_and_nothing_is_answered_twice(
    bot_process: BotProcess, client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    slow = " ".join(f"w{i}" for i in range(30))
    SCRIPTS["Take your time."] = slow
    bot_process.start()
    after = (await client.events(after=0, timeout=0))["last_seq"]
    fake_openai.chunk_delay = 0.05
    try:
        asked = len(fake_openai.requests)
        await client.send_text(chat_id, "Take your time.")
        await model_got(fake_openai, "Take your time.", asked, timeout=TIMEOUT)  # it has started
        assert await asyncio.to_thread(bot_process.stop, signal.SIGTERM) == 0
    finally:
        fake_openai.chunk_delay = 0.0
    messages = [m for m in await client.messages(chat_id) if m["from_bot"]]
    assert [m["text"] for m in messages] == [slow]

    bot_process.start()
    await client.send_text(chat_id, "Still there?")
    messages = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) >= 2, timeout=TIMEOUT
    )
    await asyncio.sleep(1)  # room for a wrong second answer to show up
    messages = [m for m in await client.messages(chat_id) if m["from_bot"]]
    assert [m["text"] for m in messages] == [slow, "You said: Still there?"]
