"""Updates the bot rarely meets get a deliberate answer or a deliberate silence, and none stops it.

The real bot as a process against the sandbox, fed raw Bot API updates (tests/support/raw_updates).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import BotProcess
from tests.support import raw_updates as raw
from tgtrainer.sandbox import SandboxClient, SandboxServer

pytestmark = pytest.mark.usefixtures("bot")
ANSWER_TIMEOUT = 30


@pytest.fixture
async def client(sandbox_server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_server.url) as client:
        yield client


async def last_seq(client: SandboxClient) -> int:
    seq: int = (await client.events(after=0, timeout=0))["last_seq"]
    return seq


async def bot_texts(client: SandboxClient, chat_id: int, after: int, count: int) -> list[str]:
    """The texts of the bot's first `count` new messages in the chat since event `after`."""
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda sent: len(sent) >= count, timeout=ANSWER_TIMEOUT
    )
    return [message["text"] for message in fresh]


async def ask(client: SandboxClient, chat_id: int, text: str, **kwargs: Any) -> list[str]:
    after = await last_seq(client)
    await client.send_text(chat_id, text, **kwargs)
    return await bot_texts(client, chat_id, after, 1)


async def test_an_update_the_library_cannot_read_is_skipped_once_and_the_rest_answered(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    after = await last_seq(client)
    poll, _ = await client.send_updates(raw.old_poll(chat_id), raw.text(chat_id, "still there?"))
    assert await bot_texts(client, chat_id, after, 1) == ["You said: still there?"]
    # Alone and last in its batch, it must not hold the offset back either.
    (lone_poll,) = await client.send_updates(raw.old_poll(chat_id))
    assert await ask(client, chat_id, "and now?") == ["You said: and now?"]
    polls = (await client.stats())["calls"]["getupdates"]
    await asyncio.sleep(1)
    assert (await client.stats())["calls"]["getupdates"] - polls <= 2  # no busy loop
    log = bot.log()
    for update in (poll, lone_poll):
        assert log.count(f"update {update['update_id']} (message) skipped") == 1, log
    assert raw.OLD_POLL["question"] not in log and "CRITICAL" not in log
