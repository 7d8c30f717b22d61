"""HTML: all of its visible text, in document order, split at headings. EPUB chapters are read
the same way.

Every text node is kept except those in scripts, styles, templates and navigation; lines break
where a browser's default style sheet makes an element a block (the HTML standard's rendering
section), so `<div class="para">` paragraphs and text put straight into a `<div>` are read like
`<p>`. Elements the standard does not name are inline, as in a browser: their text joins the
line around it, and none of it is lost. Table rows are read as "cell | cell".
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.outline import Outline
from tgtrainer.knowledge.extract.plain import file_text
from tgtrainer.knowledge.types import ExtractedDocument, Section

if TYPE_CHECKING:
    from bs4.element import PageElement, Tag

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
HIDDEN = frozenset({"script", "style", "template", "noscript", "nav", "head"})
# `display` other than inline in the HTML standard's default style sheet (section 15.3).
BLOCKS = HEADINGS | frozenset(
    """address article aside blockquote body center dd details dialog dir div dl dt fieldset
    figcaption figure footer form header hgroup hr html legend li listing main menu ol optgroup
    option p plaintext pre search section summary ul xmp table caption colgroup col thead tbody
    tfoot tr td th""".split()  # noqa: SIM905
)
_SPACE = re.compile(r"\s+")


def read_html(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    sections, title = html_sections(file_text(path))
    return ExtractedDocument(sections, title=title)


def html_sections(markup: str) -> tuple[list[Section], str | None]:
    """Sections split at headings, and the page title."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    # XHTML (EPUB chapters) is read with the lenient HTML parser on purpose: books are not
    # always well-formed XML.
    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
    soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    for tag in soup.find_all(_is_hidden):
        tag.decompose()
    sections: list[Section] = []
    outline = Outline()  # h1 > h2 > ...: the section paths
    heading: str | None = None
    lines: list[str] = []
    for kind, text in _lines(soup):
        if kind in HEADINGS:
            if lines:
                sections.append(
                    Section("\n".join(lines), heading=heading, section_path=outline.path)
                )
            heading, lines = text, [text]
            outline.enter(int(kind[1]), text)
        else:
            lines.append(text)
    if lines:
        sections.append(Section("\n".join(lines), heading=heading, section_path=outline.path))
    return sections, title or None


def _is_hidden(tag: Tag) -> bool:
    return tag.name in HIDDEN or tag.get("role") == "navigation"


def _lines(root: Tag) -> Iterator[tuple[str, str]]:
    """("h1".."h6" | "text", line) in document order. Iterative: a page nested ten thousand
    deep must not exhaust Python's stack."""
    from bs4.element import (
        CData,
        Comment,
        Declaration,
        Doctype,
        NavigableString,
        ProcessingInstruction,
        Tag,
    )

    skipped = (Comment, Declaration, Doctype, ProcessingInstruction)
    pending: list[str | None] = []  # the inline text being read; None where a line breaks
    stack: list[Iterator[PageElement | None]] = [iter(root.children)]
    while stack:
        node = next(stack[-1], _END)
        if node is _END:
            stack.pop()
        elif node is None:  # the end of a block
            yield from _flush(pending)
        elif isinstance(node, NavigableString):
            if isinstance(node, CData) or not isinstance(node, skipped):
                pending.append(str(node))
        elif isinstance(node, Tag):
            name = node.name.lower()
            if name == "br":
                pending.append(None)
            elif name in HEADINGS or name == "pre" or (name == "tr" and _simple_row(node)):
                yield from _flush(pending)
                yield from _whole(node, name)
            elif name in BLOCKS:
                yield from _flush(pending)
                stack.append(_then_break(node))
            else:
                stack.append(iter(node.children))
    yield from _flush(pending)


_END = object()


def _then_break(node: Tag) -> Iterator[PageElement | None]:
    """A block's children, then None: the text after a block starts a new line."""
    yield from node.children
    yield None


def _flush(pending: list[str | None]) -> Iterator[tuple[str, str]]:
    """The pending inline text as lines, whitespace collapsed as a browser does."""
    line: list[str] = []
    for piece in [*pending, None]:
        if piece is not None:
            line.append(piece)
            continue
        text = _SPACE.sub(" ", "".join(line)).strip()
        if text:
            yield "text", text
        line.clear()
    pending.clear()


def _simple_row(row: Tag) -> bool:
    """A table row read as one line ("cell | cell"): no heading, table or preformatted text in
    it (layout tables that hold whole pages are walked like any block)."""
    return row.find(["table", "pre", *HEADINGS]) is None


def _whole(node: Tag, name: str) -> Iterator[tuple[str, str]]:
    """A heading, a preformatted block or a simple table row, read whole."""
    if name == "pre":
        text = node.get_text().strip("\n")
        if text.strip():
            yield "text", text
    elif name == "tr":
        cells = [_inline(cell) for cell in node.find_all(["td", "th"])]
        if any(cells):
            yield "text", " | ".join(cell for cell in cells if cell)
    else:
        text = _inline(node)
        if text:
            yield name, text  # h1 ... h6


def _inline(node: Tag) -> str:
    """An element's text on one line: its blocks joined by spaces."""
    return " ".join(text for _, text in _lines(node))
