"""A chat model's Markdown as Telegram HTML: each construct, then broken and hostile input."""

from __future__ import annotations

import pytest

from tgtrainer.bot.render import html_to_plain, render_markdown
from tgtrainer.sandbox.telegram_html import parse_html


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("**bold** and __bold__", "<b>bold</b> and <b>bold</b>"),
        ("*italic* _italic_", "<i>italic</i> <i>italic</i>"),
        ("***both***", "<i><b>both</b></i>"),
        ("~~gone~~", "<s>gone</s>"),
        ("`a < b`", "<code>a &lt; b</code>"),
        ("**`code` in bold**", "<b><code>code</code> in bold</b>"),
        (
            "```python\nif a < b:\n    pass\n```",
            '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>',
        ),
        ("```\nno language\n```", "<pre>no language</pre>"),
        ("    indented code", "<pre>indented code</pre>"),
        (
            "[site](https://example.com/a?b=1&c=2)",
            '<a href="https://example.com/a?b=1&amp;c=2">site</a>',
        ),
        ('[q](https://e.com/"x")', '<a href="https://e.com/%22x%22">q</a>'),
        ("[open](tg://resolve?domain=x)", '<a href="tg://resolve?domain=x">open</a>'),
        ("<https://e.com>", '<a href="https://e.com">https://e.com</a>'),
        # Telegram draws no link around code: the link wins, the code is text.
        ("[`code` link](https://e.com)", '<a href="https://e.com">code link</a>'),
        # No mailto links in Telegram, which links addresses in plain text by itself.
        ("<me@e.com>", "me@e.com"),
        ("[mail me](mailto:me@e.com)", "mail me (me@e.com)"),
        ("[x](/relative/path)", "x"),
        ("![cat](https://e.com/cat.png)", '<a href="https://e.com/cat.png">cat</a>'),
        ("![](https://e.com/cat.png)", '<a href="https://e.com/cat.png">image</a>'),
        ("- one\n- two\n  - nested\n    - deeper", "• one\n• two\n  • nested\n    • deeper"),
        ("1. one\n2. two", "1. one\n2. two"),
        ("3. three\n4. four", "3. three\n4. four"),
        # A code block in a list keeps its own indentation.
        (
            "1. item\n\n   ```py\n   x = 1\n     y\n   ```\n2. next",
            '1. item\n<pre><code class="language-py">x = 1\n  y</code></pre>\n2. next',
        ),
        ("# Title\n\nText", "<b>Title</b>\n\nText"),
        ("## Sub *it*", "<b>Sub <i>it</i></b>"),
        ("> quoted\n> more", "<blockquote>quoted\nmore</blockquote>"),
        # Quotes cannot nest in Telegram: the inner one joins the outer.
        ("> a\n>\n> > inner", "<blockquote>a\n\ninner</blockquote>"),
        ("a\n\n---\n\nb", "a\n\n———\n\nb"),
        ("| a | bb |\n|---|---|\n| ccc | d |", "<pre>a   | bb\n----+---\nccc | d</pre>"),
        ("para one\n\n\n\npara two", "para one\n\npara two"),
        ("line one\nline two", "line one\nline two"),
        ("hard  \nbreak", "hard\nbreak"),
        ("&copy; &amp; &lt;", "© &amp; &lt;"),
        ("x\\*y", "x*y"),
        ("", ""),
        ("   \n\n  ", ""),
    ],
)
def test_markdown_constructs_become_telegram_html(markdown: str, html: str) -> None:
    assert render_markdown(markdown) == html
    parse_html(html)


@pytest.mark.parametrize(
    ("markdown", "visible"),
    [
        ("a < b && c > d", "a < b && c > d"),
        ("use snake_case_name and __init__ here", "use snake_case_name and init here"),
        ("my_var_name = other_var_name", "my_var_name = other_var_name"),
        ("**unclosed bold", "**unclosed bold"),
        ("stray * star and _ underscore", "stray * star and _ underscore"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("a <b>bold</b> <div>x</div> <br> c", "a <b>bold</b> <div>x</div> <br> c"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("```python\nprint('unclosed fence')", "print('unclosed fence')"),
        ("```\nx < 1 & y > 2\n", "x < 1 & y > 2"),
        ("AT&T &nosuch; &#0; &", "AT&T &nosuch; \ufffd &"),  # CommonMark: &#0; is U+FFFD
        ('say "hi" <3', 'say "hi" <3'),
        ("emoji 😀👍🏽 and `code 🏟`", "emoji 😀👍🏽 and code 🏟"),
        ("[ref]: https://e.com", "[ref]: https://e.com"),
        ('```weird lang"<>\nx\n```', "x"),
        ("nul \0 byte", "nul \ufffd byte"),
        ("lone \ud83d half, joined \ud83d\ude00 pair", "lone \ufffd half, joined 😀 pair"),
    ],
)
def test_broken_or_hostile_markdown_still_gives_valid_html(markdown: str, visible: str) -> None:
    html = render_markdown(markdown)
    text, _ = parse_html(html)
    assert text == visible


def test_a_link_to_a_page_keeps_its_url_and_a_script_link_is_text() -> None:
    html = render_markdown("see [docs](https://docs.python.org/3/) or [x](javascript:alert(1))")
    _, entities = parse_html(html)
    assert [e.get("url") for e in entities] == ["https://docs.python.org/3/"]
    assert "javascript" not in html.split("</a>")[0]


def test_unsupported_code_language_names_are_not_passed_on() -> None:
    html = render_markdown('```py"><b>\nx\n```')
    assert html == "<pre>x</pre>"


def test_html_to_plain_shows_the_text_telegram_would_show() -> None:
    html = render_markdown("**Hi** `a < b` & [link](https://e.com)\n\n- item")
    assert html_to_plain(html) == "Hi a < b & link\n\n• item"
    assert html_to_plain(html) == parse_html(html)[0]


def test_html_to_plain_reads_numeric_entities() -> None:
    assert html_to_plain("<i>&#60;&#x3C;&quot;</i>") == '<<"'
