"""What is read aloud of an answer: words, never code, links, markup or citation marks."""

from __future__ import annotations

from tgtrainer.speech.text import clean_for_speech, sentences, speakable_chunks


def test_code_blocks_are_not_read() -> None:
    answer = "Run this:\n\n```python\nprint('hello')\nx = 1\n```\n\nThen it prints hello."
    spoken = clean_for_speech(answer)
    assert "print(" not in spoken and "```" not in spoken and "x = 1" not in spoken
    assert spoken == "Run this\nThen it prints hello."


def test_an_unclosed_code_block_is_dropped_to_the_end() -> None:
    assert clean_for_speech("Look:\n```\ncode without end") == "Look"


def test_links_keep_their_words_and_bare_urls_vanish() -> None:
    spoken = clean_for_speech(
        "See [the docs](https://example.com/docs?a=1) or https://example.org/x, "
        "or <https://example.net>."
    )
    assert spoken == "See the docs or, or."
    assert "http" not in spoken and "example" not in spoken


def test_citation_marks_are_not_read() -> None:
    spoken = clean_for_speech("Paris is the capital [1]. It is big [2, 3][^4].")
    assert spoken == "Paris is the capital. It is big."


def test_markdown_markup_is_stripped_but_words_stay() -> None:
    answer = (
        "# Title\n\n**Bold** and *italic* and `code` and ~~gone~~ and __under__.\n\n"
        "> quoted\n\n- first item\n- second item\n1. numbered\n\n---\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n<b>html</b>"
    )
    spoken = clean_for_speech(answer)
    for mark in ("#", "*", "`", "~", "__", ">", "---", "<b>"):
        assert mark not in spoken
    for word in ("Title", "Bold", "italic", "code", "under", "quoted", "first item", "numbered"):
        assert word in spoken
    assert "snake_case_name" in clean_for_speech("Use snake_case_name here.")


def test_sentences_are_cut_at_their_ends_and_at_line_breaks() -> None:
    assert sentences("One. Two! Three? Four…\nFive") == ["One.", "Two!", "Three?", "Four…", "Five"]
    assert sentences("Version 1.5 is out. Yes.") == ["Version 1.5 is out.", "Yes."]


def test_chunks_keep_order_and_end_like_sentences() -> None:
    answer = "# Steps\n\n- open the lid\n- pour the water\n\nDone. Enjoy!"
    assert list(speakable_chunks(answer)) == [
        "Steps.",
        "open the lid.",
        "pour the water.",
        "Done.",
        "Enjoy!",
    ]
    assert list(speakable_chunks(answer, chunk_chars=30)) == [
        "Steps. open the lid.",
        "pour the water. Done. Enjoy!",
    ]


def test_an_answer_that_is_only_code_says_nothing() -> None:
    assert list(speakable_chunks("```\nls -la\n```")) == []
