"""One chat's messages are answered in order, and a slow chat holds up no other chat."""

from __future__ import annotations

import pytest

from tests.support.waiting import model_got
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.usefixtures("bot")
SLOW = 8.0  # the slow chat's first answer takes this long; well within the bot's deadlines
BOT_SETTINGS = {"LLM_TIMEOUT": "30", "ANSWER_TIMEOUT": "60"}


async def test_a_slow_chat_answers_in_order_and_holds_up_no_other_chat(
    client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    slow_chat, quick_chat = chat_id, chat_id + 50_000
    after = (await client.events(after=0, timeout=0))["last_seq"]
    fake_openai.hang_next(SLOW)
    asked = len(fake_openai.requests)
    await client.send_text(slow_chat, "first")
    await client.send_text(slow_chat, "second")
    await model_got(
        fake_openai, "first", asked
    )  # the slow chat's first request is the one that hangs
    await client.send_text(quick_chat, "quick")
    quick = await client.wait_for_bot_messages(
        quick_chat, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=30
    )
    assert [m["text"] for m in quick] == ["You said: quick"]
    assert not [m for m in await client.messages(slow_chat) if m["from_bot"]], (
        "the quick chat waited for the slow one"
    )
    slow = await client.wait_for_bot_messages(
        slow_chat, after_seq=after, until=lambda fresh: len(fresh) >= 2, timeout=30
    )
    assert [m["text"] for m in slow] == ["You said: first", "You said: second"]
