"""HTML: the text of its blocks (paragraphs, list items, table rows...), split at headings;
scripts, styles and navigation are dropped. EPUB chapters are read the same way."""

from __future__ import annotations

from pathlib import Path

from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.outline import Outline
from tgtrainer.knowledge.extract.plain import file_text
from tgtrainer.knowledge.types import ExtractedDocument, Section

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = (*_HEADINGS, "p", "li", "pre", "blockquote", "tr", "dt", "dd", "caption", "td", "th")


def read_html(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    sections, title = html_sections(file_text(path))
    return ExtractedDocument(sections, title=title)


def html_sections(markup: str) -> tuple[list[Section], str | None]:
    """Sections split at headings, and the page title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "nav"]):
        if tag.name == "head":
            continue
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    body = soup.body or soup
    sections: list[Section] = []
    outline = Outline()  # h1 > h2 > ...: the section paths
    heading: str | None = None
    lines: list[str] = []
    for element in body.find_all(_BLOCKS):
        # A block inside another block (a <p> in an <li>) is read with its parent.
        if element.find_parent(_BLOCKS) is not None:
            continue
        if element.name == "tr":
            text = " | ".join(
                cell.get_text(" ", strip=True) for cell in element.find_all(["td", "th"])
            )
        else:
            text = element.get_text("\n" if element.name == "pre" else " ", strip=True)
        if not text:
            continue
        if element.name in _HEADINGS:
            if lines:
                sections.append(
                    Section("\n".join(lines), heading=heading, section_path=outline.path)
                )
            heading, lines = text, [text]
            outline.enter(int(element.name[1]), text)
        else:
            lines.append(text)
    if lines:
        sections.append(Section("\n".join(lines), heading=heading, section_path=outline.path))
    if not sections:  # markup without block tags: take all its text
        text = body.get_text("\n", strip=True)
        sections = [Section(text)] if text else []
    return sections, title or None
