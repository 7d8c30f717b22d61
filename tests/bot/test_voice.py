"""Small pieces of the voice adapter: the quote of what was heard, limits in words."""

from __future__ import annotations

from tgtrainer.bot.handlers import HEARD_CHARS, Heard
from tgtrainer.bot.render import render_markdown
from tgtrainer.bot.voice import TOO_LONG, _minutes


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
