"""A model that never answers: one deadline per answer, a sign that work goes on, /cancel ahead
of the chat's queue, and a prompt exit on SIGTERM (issue 12, defect 7). The real bot process,
with a short deadline."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import SCRIPTS, BotProcess
from tests.support.waiting import model_got, replies, seq
from tgtrainer.bot.handlers import NOTHING_TO_CANCEL, STILL_WORKING
from tgtrainer.bot.running import CANCELLED
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

DEADLINE = 3.0
# The old behaviour for comparison: each attempt waits LLM_TIMEOUT, four attempts in all.
SLOW_MODEL = {"LLM_TIMEOUT": "30", "LLM_MAX_RETRIES": "3", "ANSWER_TIMEOUT": f"{DEADLINE:g}"}


BOT_SETTINGS = SLOW_MODEL


async def test_a_hung_model_shows_a_sign_then_a_sentence_at_the_deadline(
    bot: BotProcess, client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.hang_next(600)
    after = await seq(client)
    started = time.monotonic()
    await client.send_text(chat_id, "Are you stuck?")
    await client.send_text(chat_id, "And this one?")  # waits behind the first, in order
    first, second = await replies(client, chat_id, after, count=2)
    waited = time.monotonic() - started
    assert first["text"] == (
        f"The model did not answer within {DEADLINE:g} seconds, so I stopped waiting. Try again "
        "in a minute, or ask a shorter question."
    )
    assert second["text"] == "You said: And this one?"
    assert DEADLINE - 0.5 < waited < DEADLINE + 5, waited  # not 4 attempts x 30 s
    events = (await client.events(after=after, timeout=0, chat_id=chat_id))["events"]
    signs = [e for e in events if e["type"] == "draft" and e["draft"]["text"] == STILL_WORKING]
    assert signs, "no sign that the bot was still working"
    print(f"\nhung model: sentence after {waited:.1f} s (deadline {DEADLINE:g} s)")


async def test_cancel_stops_a_slow_answer_at_once_and_says_so(
    bot: BotProcess, client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    SCRIPTS["Tell me a long story."] = " ".join(f"word{i}" for i in range(100))
    fake_openai.chunk_delay = 0.2
    try:
        after = await seq(client)
        await client.send_text(chat_id, "Tell me a long story.")
        await model_got(fake_openai, "Tell me a long story.")
        await asyncio.sleep(0.6)  # a few words streamed
        asked = time.monotonic()
        await client.send_text(chat_id, "/cancel")
        [stopped] = await replies(client, chat_id, after)
        took = time.monotonic() - asked
    finally:
        fake_openai.chunk_delay = 0.0
    assert stopped["text"] == CANCELLED
    assert took < 1.0, took
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
    await client.send_text(group, "@tgtrainer_bot hello?", user_id=asker)
    await model_got(fake_openai, "hello?")
    await client.send_text(group, "/cancel", user_id=other)
    [refused] = await replies(client, group, after)
    assert refused["text"] == NOTHING_TO_CANCEL
    await client.send_text(group, "/cancel", user_id=asker)
    [_, stopped] = await replies(client, group, after, count=2)
    assert stopped["text"] == CANCELLED
