"""Every reader keeps all the text: documents generated at random (nesting, tables, lists,
inline code...) and every sentence put in them must be found in what is extracted."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.knowledge.extract.files import all_text

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßж0123456789", min_size=2, max_size=9)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    """A unique-enough sentence: a serial-like word and a few random ones."""
    marker = draw(st.integers(10_000, 99_999))
    return " ".join([f"s{marker}", *draw(st.lists(WORDS, min_size=2, max_size=6))])


def found(text: str, wanted: list[str]) -> list[str]:
    """The sentences of `wanted` missing from `text` (whitespace does not count)."""
    flat = " ".join(text.split())
    return [sentence for sentence in wanted if sentence not in flat]


def read(name: str, data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return all_text(path)


# -- HTML and EPUB -----------------------------------------------------------------------------


@dataclass
class Markup:
    html: str
    sentences: list[str]


INLINE = st.sampled_from(["span", "b", "i", "em", "code", "a", "small", "kbd", "tt", "var"])
BLOCK = st.sampled_from(
    ["div", "section", "article", "p", "blockquote", "main", "aside", "dd", "figure", "header"]
)


@st.composite
def leaf(draw: st.DrawFn) -> Markup:
    sentence = draw(sentences())
    words = [escape(word) for word in sentence.split()]
    style = draw(st.sampled_from(["plain", "inline-word", "heading", "pre", "para"]))
    if style == "inline-word" and len(words) > 2:  # "s123 <code>word</code> rest"
        tag = draw(INLINE)
        words[1] = f"<{tag}>{words[1]}</{tag}>"
    text = " ".join(words)
    level = draw(st.integers(1, 6))
    wrapped = {
        "plain": f" {text} ",
        "inline-word": f" {text} ",
        "heading": f"<h{level}>{text}</h{level}>",
        "pre": f"<pre>{text}</pre>",
        "para": f'<div class="para">{text}</div>',
    }[style]
    return Markup(wrapped, [sentence])


def _join(parts: list[Markup]) -> tuple[str, list[str]]:
    return "".join(p.html for p in parts), [s for p in parts for s in p.sentences]


def _extend(children: st.SearchStrategy[Markup]) -> st.SearchStrategy[Markup]:
    many = st.lists(children, min_size=1, max_size=4)

    @st.composite
    def container(draw: st.DrawFn) -> Markup:
        kind = draw(st.sampled_from(["block", "inline", "list", "table", "dl"]))
        parts = draw(many)
        html, said = _join(parts)
        if kind == "block":
            tag = draw(BLOCK)
            return Markup(f"<{tag}>{html}</{tag}>", said)
        if kind == "inline":
            tag = draw(INLINE)
            return Markup(f" <{tag}>{html}</{tag}> ", said)
        if kind == "list":
            tag = draw(st.sampled_from(["ul", "ol"]))
            return Markup(
                f"<{tag}>" + "".join(f"<li>{p.html}</li>" for p in parts) + f"</{tag}>", said
            )
        if kind == "dl":
            return Markup(
                "<dl>" + "".join(f"<dt>x</dt><dd>{p.html}</dd>" for p in parts) + "</dl>", said
            )
        cells = "".join(f"<td>{p.html}</td>" for p in parts)
        header = "<tr><th>one</th><th>two</th></tr>" if draw(st.booleans()) else ""
        return Markup(f"<table>{header}<tr>{cells}</tr></table>", said)

    return container()


MARKUP = st.recursive(leaf(), _extend, max_leaves=12)


def page(body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Generated</title><style>p{color:red}</style></head>"
        f"<body><nav>Home | Up</nav><script>var hidden = 1;</script>{body}</body></html>"
    )


@SETTINGS
@given(MARKUP)
def test_html_keeps_every_sentence(document: Markup) -> None:
    text = read("page.html", page(document.html).encode())
    assert found(text, document.sentences) == []
    assert "var hidden" not in text and "Home | Up" not in text


@SETTINGS
@given(st.lists(MARKUP, min_size=1, max_size=3))
def test_epub_keeps_every_sentence(chapters: list[Markup]) -> None:
    items = "".join(f'<item id="c{n}" href="c{n}.xhtml"/>' for n in range(len(chapters)))
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="OEBPS/book.opf"/></rootfiles></container>',
        )
        archive.writestr(
            "OEBPS/book.opf",
            f"<package><metadata><dc:title>B</dc:title></metadata><manifest>{items}"
            f'<item id="nav" href="nav.xhtml"/></manifest><spine><itemref idref="nav"/>{spine}'
            "</spine></package>",
        )
        archive.writestr(
            "OEBPS/nav.xhtml", '<html><body><nav epub:type="toc">Contents</nav></body></html>'
        )
        for n, chapter in enumerate(chapters):
            archive.writestr(f"OEBPS/c{n}.xhtml", page(chapter.html))
    text = read("book.epub", buffer.getvalue())
    assert found(text, [s for c in chapters for s in c.sentences]) == []


# -- Markdown and plain text ------------------------------------------------------------------


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["p", "h", "li", "code", "table", "quote"]), sentences()),
        min_size=1,
        max_size=12,
    )
)
def test_markdown_keeps_every_sentence(blocks: list[tuple[str, str]]) -> None:
    lines = []
    for kind, sentence in blocks:
        lines += {
            "p": [sentence, ""],
            "h": [f"## {sentence}", ""],
            "li": [f"- {sentence}"],
            "code": ["```", sentence, "```"],
            "table": ["| a | b |", "|---|---|", f"| {sentence} | x |", ""],
            "quote": [f"> {sentence}", ""],
        }[kind]
    text = read("notes.md", "\n".join(lines).encode())
    assert found(text, [s for _, s in blocks]) == []


@SETTINGS
@given(
    st.lists(sentences(), min_size=1, max_size=10),
    st.sampled_from(["utf-8", "utf-16", "cp1251"]),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
)
def test_plain_text_keeps_every_sentence(said: list[str], encoding: str, newline: str) -> None:
    if encoding == "cp1251":  # an 8-bit code page is guessed from real words, not from a
        # mixed-script token such as "aж" (Greek code pages then read as well as Cyrillic)
        said = [re.sub("[^ -~]", "e", sentence) for sentence in said]
        said.insert(0, "Это обычный русский текст, записанный в старой кодировке Windows.")
    text = read("notes.txt", newline.join(said).encode(encoding))
    assert found(text, said) == []


# -- DOCX ---------------------------------------------------------------------------------------


DOCX_BLOCKS = st.lists(
    st.tuples(
        st.sampled_from(["heading", "paragraph", "list", "runs", "table", "nested"]),
        sentences(),
        sentences(),
    ),
    min_size=1,
    max_size=8,
)


def make_docx(blocks: list[tuple[str, str, str]]) -> tuple[bytes, list[str]]:
    """A DOCX of headings, paragraphs (one in bold and plain runs), tables and a table in a
    table's cell; and the sentences in it."""
    document = docx.Document()
    said: list[str] = []
    for kind, sentence, more in blocks:
        said.append(sentence)
        if kind == "heading":
            document.add_heading(sentence, level=len(said) % 4)
        elif kind in {"paragraph", "list"}:
            document.add_paragraph(sentence, style="List Bullet" if kind == "list" else None)
        elif kind == "runs":
            paragraph = document.add_paragraph()
            first, _, rest = sentence.partition(" ")
            paragraph.add_run(first + " ")
            paragraph.add_run(rest).bold = True
        else:
            said.append(more)
            table = document.add_table(rows=2, cols=2)
            table.cell(0, 0).text = sentence
            cell = table.cell(1, 1)
            if kind == "nested":
                cell.add_table(rows=1, cols=1).cell(0, 0).text = more
            else:
                cell.add_paragraph(more)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), said


@SETTINGS
@given(DOCX_BLOCKS)
def test_docx_keeps_every_sentence(blocks: list[tuple[str, str, str]]) -> None:
    data, said = make_docx(blocks)
    assert found(read("report.docx", data), said) == []


# -- CSV and JSON -------------------------------------------------------------------------------


@SETTINGS
@given(
    st.lists(st.lists(sentences(), min_size=1, max_size=5), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_keeps_every_value(rows: list[list[str]], delimiter: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    text = read("table.csv", buffer.getvalue().encode())
    assert found(text, [value for row in rows for value in row]) == []


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    sentences() | st.integers(10_000, 99_999),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(WORDS, children, max_size=4),
    max_leaves=15,
)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [str(value)]


@SETTINGS
@given(JSON_VALUES)
def test_json_keeps_every_value(value: Any) -> None:
    text = read("data.json", json.dumps(value, ensure_ascii=False).encode())
    assert found(text, _leaves(value)) == []


def test_sentences_are_compared_whitespace_blind() -> None:
    assert found("s12345 a\n  b", ["s12345 a b"]) == []
    assert found("s12345 a", ["s12345 a b"]) == ["s12345 a b"]
    assert re.fullmatch(r"s\d{5}( \w+)+", "s12345 ab cd")
