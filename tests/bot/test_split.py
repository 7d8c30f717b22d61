"""Cutting Telegram HTML into messages: where cuts fall, what each part keeps, and properties
that hold for any model output."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.constants import MessageLimit

from tgtrainer.bot.render import html_to_plain, render_markdown
from tgtrainer.bot.split import split_html
from tgtrainer.sandbox.telegram_html import parse_html, visible_length

PYTHON_PRE = '<pre><code class="language-python">'


def text_of(html: str) -> str:
    return parse_html(html)[0]


def without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_valid_parts(html: str, parts: list[str], limit: int) -> None:
    for part in parts:
        assert text_of(part).strip(), f"empty part {part!r}"
        assert visible_length(part) <= limit, f"part too long: {part!r}"
    joined = "".join(text_of(part) for part in parts)
    assert without_whitespace(joined) == without_whitespace(text_of(html))


def test_a_short_reply_is_one_part_unchanged() -> None:
    html = "<b>Hello</b>, world &amp; all"
    assert split_html(html) == [html]


@pytest.mark.parametrize("html", ["", "   \n\n ", "<b> </b>"])
def test_html_that_shows_nothing_gives_no_parts(html: str) -> None:
    assert split_html(html) == []


def test_the_default_limit_is_telegrams_message_limit() -> None:
    html = "word " * 1000  # 5000 characters
    parts = split_html(html)
    assert int(MessageLimit.MAX_TEXT_LENGTH) == 4096
    assert len(parts) == 2
    assert visible_length(parts[0]) <= 4096


def test_a_long_reply_with_a_long_code_block_keeps_order_and_reopens_the_code() -> None:
    prose = "\n\n".join(f"Paragraph {n}. " + "Some words in a sentence. " * 14 for n in range(6))
    code = "\n".join(f"    value_{n} = compute({n}) + other  # step {n}" for n in range(120))
    markdown = f"{prose}\n\n```python\n{code}\n```\n\n{prose}"
    html = render_markdown(markdown)
    assert visible_length(html) > 10_000

    parts = split_html(html)

    assert_valid_parts(html, parts, 4096)
    code_parts = [part for part in parts if PYTHON_PRE in part]
    assert len(code_parts) >= 2
    for part in code_parts:
        # The prose before the code ends a part, so the code starts a fresh message.
        assert part.startswith(PYTHON_PRE)
        assert part.count("</code></pre>") == 1
    # Cut at line ends: every code line is whole in one part, with its indentation.
    code_pieces = []
    for part in code_parts:
        text, entities = parse_html(part)
        [pre] = [e for e in entities if e["type"] == "pre"]
        assert pre["language"] == "python"
        code_pieces.append(text[pre["offset"] : pre["offset"] + pre["length"]])
    assert "\n".join(code_pieces) == code


def test_paragraphs_come_before_lines_sentences_and_spaces() -> None:
    first = "First line.\nSecond line of the first paragraph."
    second = "Another paragraph. It has two sentences."
    parts = split_html(f"{first}\n\n{second}", limit=len(first) + 20)
    assert parts == [first, second]


def test_then_lines() -> None:
    parts = split_html("line one is here\nline two. is here too", limit=30)
    assert parts == ["line one is here", "line two. is here too"]


def test_then_sentence_ends() -> None:
    parts = split_html("One sentence here. And another one that goes on", limit=30)
    assert parts == ["One sentence here.", "And another one that goes on"]


def test_then_spaces() -> None:
    parts = split_html("alpha beta gamma delta epsilon", limit=12)
    assert parts == ["alpha beta", "gamma delta", "epsilon"]


def test_mid_word_only_as_a_last_resort() -> None:
    parts = split_html("a" * 25, limit=10)
    assert parts == ["a" * 10, "a" * 10, "a" * 5]


def test_a_code_block_that_fits_is_moved_whole_to_the_next_part() -> None:
    code = "<pre>" + "\n".join(f"line {n}" for n in range(8)) + "</pre>"
    html = "Intro text that is rather long here.\n" + code
    parts = split_html(html, limit=70)
    assert parts == ["Intro text that is rather long here.", code]


def test_a_bold_run_longer_than_a_part_is_closed_and_reopened() -> None:
    html = "<b>" + "bold words " * 10 + "</b>end"
    parts = split_html(html, limit=40)
    assert_valid_parts(html, parts, 40)
    assert all(part.startswith("<b>") for part in parts)
    assert parts[-1].endswith("</b>end")


def test_a_long_link_is_reopened_with_its_address() -> None:
    html = '<a href="https://e.com/?a=1&amp;b=2">' + "link text " * 10 + "</a>"
    parts = split_html(html, limit=45)
    assert_valid_parts(html, parts, 45)
    assert all(part.startswith('<a href="https://e.com/?a=1&amp;b=2">') for part in parts)


def test_a_quote_and_nested_tags_are_reopened_in_order() -> None:
    html = "<blockquote expandable><i>" + "quoted line\n" * 12 + "</i></blockquote>"
    parts = split_html(html, limit=50)
    assert_valid_parts(html, parts, 50)
    for part in parts:
        assert part.startswith("<blockquote expandable><i>")
        assert part.endswith("</i></blockquote>")


def test_entities_are_never_cut() -> None:
    html = "&lt;&amp;&gt;&quot;" * 20
    parts = split_html(html, limit=7)
    assert_valid_parts(html, parts, 7)
    assert "".join(text_of(part) for part in parts) == '<&>"' * 20


def test_lengths_count_utf16_code_units() -> None:
    html = "😀" * 10
    parts = split_html(html, limit=5)
    assert parts == ["😀😀"] * 5


def test_a_character_stays_with_its_modifiers() -> None:
    html = "👍🏽" * 4  # each is two astral characters: four UTF-16 units
    parts = split_html(html, limit=6)
    assert parts == ["👍🏽"] * 4


def test_code_indentation_survives_a_cut() -> None:
    code = "\n".join(["def f():"] + ["    return 1"] * 6)
    parts = split_html(f"<pre>{code}</pre>", limit=40)
    assert_valid_parts(f"<pre>{code}</pre>", parts, 40)
    assert text_of(parts[1]).startswith("    return 1")


def test_broken_html_comes_out_valid() -> None:
    html = "a < b & c > d <b>bold <i>x</b> </u> tail <div>"
    parts = split_html(html, limit=8)
    for part in parts:
        parse_html(part)
    assert without_whitespace("".join(text_of(part) for part in parts)) == without_whitespace(
        "a < b & c > d bold x </u> tail <div>"
    )


def test_a_limit_below_two_units_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        split_html("text", limit=1)


def test_a_100_kb_reply_splits_into_valid_parts() -> None:
    paragraph = "Some prose with **bold**, `code`, a [link](https://e.com) & <angles>. " * 8
    code = "```python\n" + "def f(a, b):\n    return a < b and a & b\n" * 40 + "```"
    html = render_markdown("\n\n".join([paragraph, paragraph, code] * 40))
    assert len(html) > 100_000
    assert_valid_parts(html, split_html(html), 4096)


# Pieces of the Markdown models write, broken as they often are.
MARKDOWN_PIECES = [
    "**", "*", "_", "__", "~~", "`", "```", "```python\n", "\n```\n", "<", ">", "&", "&amp;",
    "&#60;", "\n", "\n\n", "- ", "1. ", "> ", "# ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "---",
    "[", "]", "(", ")", "[x](https://e.com/a?b=1&c=2)", "![i](http://e.com/i.png)", "<b>",
    "</i>", "snake_case_name", "😀", "👍🏽", "word ", "Sentence. ", "    indented", "\\", "\t",
    "тест ", "a" * 30,
]  # fmt: skip
markdownish = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=8)), max_size=80
).map("".join)
any_model_output = st.one_of(st.text(), markdownish)


@settings(deadline=None)
@given(any_model_output)
def test_rendered_markdown_always_passes_telegrams_parser(markdown: str) -> None:
    html = render_markdown(markdown)
    text, _ = parse_html(html)
    assert html_to_plain(html) == text  # the plain-text fallback shows the same


@settings(deadline=None)
@given(
    markdown=any_model_output,
    repeat=st.integers(min_value=1, max_value=30),
    limit=st.sampled_from([2, 3, 17, 64, 200, 4096]),
)
def test_split_parts_are_valid_fitting_non_empty_and_lose_nothing(
    markdown: str, repeat: int, limit: int
) -> None:
    html = render_markdown(markdown * repeat)
    parts = split_html(html, limit)
    for part in parts:
        parse_html(part)
    assert_valid_parts(html, parts, limit)
    if text_of(html).strip():
        assert parts
