"""/cancel ahead of the chat's queue: it stops the asker's own answer at once and says so, in
a private chat and in a group (where only the asker's own answer is theirs to stop). The real
bot process, with deadlines long enough that no deadline or "still working" notice can come
between a question and its /cancel."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import SCRIPTS, BotProcess
from tests.support.waiting import model_got, replies, seq
from tgtrainer.bot.handlers import NOTHING_TO_CANCEL
from tgtrainer.bot.running import CANCELLED
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

BOT_SETTINGS = {"LLM_TIMEOUT": "60", "LLM_MAX_RETRIES": "0", "ANSWER_TIMEOUT": "60"}
WORDS, WORD_SECONDS = 100, 0.2
STORY_SECONDS = WORDS * WORD_SECONDS


async def test_cancel_stops_a_slow_answer_at_once_and_says_so(
    bot: BotProcess, client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    SCRIPTS["Tell me a long story."] = " ".join(f"word{i}" for i in range(WORDS))
    fake_openai.chunk_delay = WORD_SECONDS
    try:
        after = await seq(client)
        asked = len(fake_openai.requests)
        await client.send_text(chat_id, "Tell me a long story.")
        await model_got(fake_openai, "Tell me a long story.", asked)
        await asyncio.sleep(0.6)  # a few words streamed
        asked = time.monotonic()
        await client.send_text(chat_id, "/cancel")
        [stopped] = await replies(client, chat_id, after)
        took = time.monotonic() - asked
    finally:
        fake_openai.chunk_delay = 0.0
    assert stopped["text"] == CANCELLED
    assert took < STORY_SECONDS / 2, took  # it did not wait for the story to end
    print(f"\n/cancel answered in {took * 1000:.0f} ms")
    after = await seq(client)
    await client.send_text(chat_id, "/cancel")
    [nothing] = await replies(client, chat_id, after)
    assert nothing["text"] == NOTHING_TO_CANCEL
    after = await seq(client)
    await client.send_text(chat_id, "Still there?")
    [answer] = await replies(client, chat_id, after)
    assert answer["text"] == "You said: Still there?"


async def test_cancel_in_a_group_stops_only_its_own_users_answer(
    bot: BotProcess, client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    group, asker, other = -chat_id, chat_id, chat_id + 500_000
    fake_openai.hang_next(600)
    after = await seq(client)
    asked = len(fake_openai.requests)
    await client.send_text(group, "@tgtrainer_bot hello?", user_id=asker)
    await model_got(fake_openai, "hello?", asked)
    await client.send_text(group, "/cancel", user_id=other)
    refused = await texts_until(client, group, after, NOTHING_TO_CANCEL)
    assert CANCELLED not in refused  # another user's /cancel stops nothing of the asker's
    await client.send_text(group, "/cancel", user_id=asker)
    stopped = await texts_until(client, group, after, CANCELLED)
    assert stopped.index(NOTHING_TO_CANCEL) < stopped.index(CANCELLED)


async def texts_until(client: SandboxClient, chat_id: int, after: int, text: str) -> list[str]:
    """The bot's messages since `after` once one reads `text` (a "still working" notice may
    come among them on a slow machine)."""
    fresh = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda messages: any(m["text"] == text for m in messages),
        timeout=30,
    )
    return [m["text"] for m in fresh]
