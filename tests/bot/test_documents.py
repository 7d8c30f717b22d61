"""What a file's caption asks, once the bot's name and the teaching flags are set aside."""

from __future__ import annotations

import pytest

from tgtrainer.bot.documents import caption_question


@pytest.mark.parametrize(
    ("caption", "asked"),
    [
        ("What is the deadline?", "What is the deadline?"),
        ("@TgTrainer_bot what is the deadline?", "what is the deadline?"),
        ("/teach", ""),
        ("/teach@tgtrainer_bot #global", ""),
        ("#global Summarise the first chapter", "Summarise the first chapter"),
        ("@tgtrainer_bot", ""),
        ("", ""),
    ],
)
def test_a_caption_is_a_question_once_names_and_flags_are_set_aside(
    caption: str, asked: str
) -> None:
    assert caption_question(caption, "tgtrainer_bot") == asked
