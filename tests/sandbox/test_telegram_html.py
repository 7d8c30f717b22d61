"""Telegram's HTML parse mode: what it accepts, what it refuses and with which description.

The refused cases and their descriptions are TDLib's own (its parse_html tests), byte offsets
counted in UTF-8: "🏟" takes 4 bytes, "&lt;" 4.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tgtrainer.sandbox.telegram_entities as telegram_entities
import tgtrainer.sandbox.telegram_html as telegram_html
from tgtrainer.sandbox.telegram_html import TelegramHtmlError, parse_html, visible_length


def entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "offset": offset, "length": length, **extra}


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("", "", []),
        ("plain text", "plain text", []),
        (
            "<b>bold</b> <strong>bold</strong>",
            "bold bold",
            [entity("bold", 0, 4), entity("bold", 5, 4)],
        ),
        ("<i>a</i><em>b</em>", "ab", [entity("italic", 0, 1), entity("italic", 1, 1)]),
        ("<u>a</u><ins>b</ins>", "ab", [entity("underline", 0, 1), entity("underline", 1, 1)]),
        (
            "<s>a</s><strike>b</strike><del>c</del>",
            "abc",
            [entity("strikethrough", k, 1) for k in range(3)],
        ),
        (
            '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>',
            "ab",
            [entity("spoiler", 0, 1), entity("spoiler", 1, 1)],
        ),
        ("<code>x = 1</code>", "x = 1", [entity("code", 0, 5)]),
        ("<pre>block</pre>", "block", [entity("pre", 0, 5)]),
        (
            '<pre><code class="language-python">print(1)</code></pre>',
            "print(1)",
            [entity("pre", 0, 8, language="python")],
        ),
        (
            '<code class="language-fift"><pre>x</pre></code>',
            "x",
            [entity("pre", 0, 1, language="fift")],
        ),
        # A language needs the pre; without one both entities stay.
        ("<pre><code>x</code></pre>", "x", [entity("pre", 0, 1), entity("code", 0, 1)]),
        ('<code class="language-python">x</code>', "x", [entity("code", 0, 1)]),
        ("<blockquote>quote\nmore</blockquote>", "quote\nmore", [entity("blockquote", 0, 10)]),
        (
            "<blockquote expandable>long</blockquote>",
            "long",
            [entity("expandable_blockquote", 0, 4)],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")],
        ),
        (
            '<a href="http://www.example.com/">inline URL</a>',
            "inline URL",
            [entity("text_link", 0, 10, url="http://www.example.com/")],
        ),
        (
            '<a href="tg://user?id=123456789">mention</a>',
            "mention",
            [entity("text_mention", 0, 7, user={"id": 123456789})],
        ),
        # Telegram completes a URL, and takes the text for one when href is missing.
        (
            "<a href=telegram.org>t</a>",
            "t",
            [entity("text_link", 0, 1, url="http://telegram.org/")],
        ),
        (
            "<a>telegram.org</a>",
            "telegram.org",
            [entity("text_link", 0, 12, url="http://telegram.org/")],
        ),
        (
            "<a   href=  'telegram.org?&lt;'   >x</a>",
            "x",
            [entity("text_link", 0, 1, url="http://telegram.org/?<")],
        ),
        # A link Telegram cannot follow is no link, but not an error either.
        ('<a href="javascript:alert(1)">x</a>', "x", []),
        ("<a> </a>", " ", []),
        # Entities: the four named ones (the ";" is optional) and numeric ones.
        ("&lt;&gt;&amp;&quot;", '<>&"', []),
        ("&lt&gt", "<>", []),
        ("&#60;&#x3C;&#128512;", "<<😀", []),
        # Offsets and lengths count UTF-16 code units: "🏟" and "😀" take two.
        ("🏟 🏟<i>🏟 &lt;🏟</i>", "🏟 🏟🏟 <🏟", [entity("italic", 5, 6)]),
        (
            "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt;🏟</b></i>",
            "🏟 🏟🏟 ><🏟",
            [entity("italic", 5, 7), entity("bold", 9, 3)],
        ),
        ("😀<b>x</b>", "😀x", [entity("bold", 2, 1)]),
        # Nesting: outer first when both start together, as Telegram sorts them.
        (
            "<b>bold <i>italic bold <s>all three</s></i> bold</b>",
            "bold italic bold all three bold",
            [entity("bold", 0, 31), entity("italic", 5, 21), entity("strikethrough", 17, 9)],
        ),
        ("<i><b>x</b></i>", "x", [entity("bold", 0, 1), entity("italic", 0, 1)]),
        # Tag names are case-insensitive, unknown attributes ignored, "</>" closes any tag.
        ('<B class="x" data-y=1>x</b>', "x", [entity("bold", 0, 1)]),
        ("<i>a</>", "a", [entity("italic", 0, 1)]),
        ("<i>a</i   >", "a", [entity("italic", 0, 1)]),
        # Empty elements give no entity; newlines are text (there is no <br>).
        ("<b></b>x", "x", []),
        ("a\nb", "a\nb", []),
    ],
)
def test_accepted_html_gives_text_and_entities(
    html: str, text: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_html(html) == (text, entities)


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
        ("hello <div>x</div>", 'Unsupported start tag "div" at byte offset 6'),
        ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;>", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        (
            "<i>x</i><b>y</i>",
            'Unmatched end tag at byte offset 12, expected "</b>", found "</i>"',
        ),
        ("text <b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<tg-emoji>👍</tg-emoji>", "Invalid custom emoji identifier specified"),
        ('<tg-emoji emoji-id="abc">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("a\0b", "Text must not contain null bytes"),
        (
            "&#57311;",
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units",
        ),
    ],
)
def test_refused_html_says_why_like_telegram(html: str, description: str) -> None:
    with pytest.raises(TelegramHtmlError) as raised:
        parse_html(html)
    assert raised.value.description == description
    assert str(raised.value) == description


@pytest.mark.parametrize(
    ("html", "description", "text"),
    [
        ("AT&T", 'Unescaped "&" at byte offset 2', "AT&T"),
        ("&laquo;x&raquo;", 'Unescaped "&" at byte offset 0', "&laquo;x&raquo;"),
        ("&#0;", 'Unescaped "&" at byte offset 0', "&#0;"),
        ("&#12345678;", 'Unescaped "&" at byte offset 0', "&#12345678;"),
        ("a > b", 'Unescaped ">" at byte offset 2', "a > b"),
        ('<a href="x?a=1&b=2">l</a>', 'Unescaped "&" at byte offset 14', "l"),
    ],
)
def test_strict_mode_refuses_what_telegram_asks_to_escape(
    html: str, description: str, text: str
) -> None:
    """The documentation asks for `&` and `>` to be escaped; Telegram itself keeps them."""
    with pytest.raises(TelegramHtmlError) as raised:
        parse_html(html)
    assert raised.value.description == description
    assert parse_html(html, strict=False)[0] == text


def test_lenient_mode_still_refuses_what_telegram_refuses() -> None:
    with pytest.raises(TelegramHtmlError, match="Unsupported start tag"):
        parse_html("a < b & c", strict=False)


def test_an_attribute_without_value_is_ignored() -> None:
    assert parse_html("<b bogus>x</b>") == ("x", [entity("bold", 0, 1)])


def test_visible_length_counts_utf16_code_units_of_the_text() -> None:
    assert visible_length("<b>hi</b> &amp; 😀") == 7
    assert visible_length('<pre><code class="language-py">x</code></pre>') == 1


@pytest.mark.parametrize("module", [telegram_html, telegram_entities])
def test_the_server_side_parser_does_not_import_telegram(module: ModuleType) -> None:
    assert module.__file__ is not None
    source = Path(module.__file__).read_text(encoding="utf-8")
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "telegram" not in imported
