"""A model that never answers: one deadline per answer and a sign that work goes on (issue 12,
defect 7). The real bot process, with a short deadline; /cancel is tests/e2e/test_cancel.py's."""

from __future__ import annotations

import time

from tests.conftest import BotProcess
from tests.support.waiting import replies, seq
from tgtrainer.bot.handlers import STILL_WORKING
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
