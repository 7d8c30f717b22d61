"""Small pieces of the voice adapter: the quote of what was heard, limits in words, the notice
while a speech model loads."""

from __future__ import annotations

import asyncio

from tgtrainer.bot.refs import HEARD_CHARS, Heard
from tgtrainer.bot.render import render_markdown
from tgtrainer.bot.voice import TOO_LONG, _minutes
from tgtrainer.bot.voice_reply import LOADING, with_loading_notice


def test_what_was_heard_is_quoted_verbatim_even_with_markdown_characters() -> None:
    heard = Heard("Is *this* [1] a `test` <b>?", "en")
    html = render_markdown(heard.quote() + "You said: hi")
    assert html.startswith("<blockquote>🎤 Is *this* [1] a `test` &lt;b&gt;?</blockquote>")
    assert html.endswith("You said: hi")


def test_a_long_transcript_is_shortened_in_the_quote() -> None:
    quote = Heard("word " * 200, None).quote()
    assert "…" in quote and len(quote) < HEARD_CHARS + 20


def test_limits_are_said_in_minutes_and_seconds() -> None:
    assert _minutes(45) == "45 s"
    assert _minutes(600) == "10 minutes"
    assert _minutes(60) == "1 minute"
    assert _minutes(601) == "10 min 1 s"
    assert TOO_LONG.format(duration=_minutes(601), limit=_minutes(600)) == (
        "This recording is 10 min 1 s, longer than the 10 minutes I can listen to. "
        "Send a shorter one."
    )


class FakeMessage:
    """What `with_loading_notice` uses of a Telegram message: reply, then delete the reply."""

    chat_id = 7

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.deleted = 0

    async def reply_text(self, text: str) -> FakeMessage:
        self.sent.append(text)
        return self

    async def delete(self) -> bool:
        self.deleted += 1
        return True


async def finished_after(seconds: float, result: str) -> str:
    await asyncio.sleep(seconds)
    return result


async def test_a_load_over_a_second_is_announced_once_and_the_notice_removed() -> None:
    message = FakeMessage()
    loading = [True]

    async def load_then_listen() -> str:
        await asyncio.sleep(1.2)
        loading[0] = False
        return await finished_after(0.1, "heard")

    result = await with_loading_notice(message, load_then_listen(), lambda: loading[0])  # type: ignore[arg-type]
    assert result == "heard"
    assert message.sent == [LOADING] and message.deleted == 1


async def test_quick_work_or_a_loaded_model_says_nothing() -> None:
    message = FakeMessage()
    quick = finished_after(0.01, "heard")
    assert await with_loading_notice(message, quick, lambda: True) == "heard"  # type: ignore[arg-type]
    slow_but_loaded = finished_after(1.1, "heard")
    assert await with_loading_notice(message, slow_but_loaded, lambda: False) == "heard"  # type: ignore[arg-type]
    assert message.sent == []
