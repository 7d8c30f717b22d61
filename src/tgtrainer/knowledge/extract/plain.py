"""Plain text and Markdown, in any encoding `decode_text` recognises; Markdown is split at its
headings."""

from __future__ import annotations

import re
from pathlib import Path

from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.outline import Outline
from tgtrainer.knowledge.text import decode_text
from tgtrainer.knowledge.types import ExtractedDocument, Section

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def file_text(path: Path) -> str:
    """The file's bytes decoded; raises `UnreadableDocumentError` when they are not text."""
    text = decode_text(path.read_bytes())
    if text is None:
        raise UnreadableDocumentError("This file does not look like text in any encoding I know.")
    return text


def read_text(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    return ExtractedDocument([Section(file_text(path))])


def read_markdown(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    return ExtractedDocument(markdown_sections(file_text(path)))


def markdown_sections(text: str) -> list[Section]:
    """Sections split at Markdown headings (not at a `#` line inside a fenced code block), with
    their section paths (`#` chapter > `##` section > ...)."""
    sections: list[Section] = []
    outline = Outline()
    heading: str | None = None
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _MARKDOWN_HEADING.match(line)
        if match:
            if "".join(lines).strip():
                sections.append(
                    Section("\n".join(lines), heading=heading, section_path=outline.path)
                )
            heading, lines = match.group(2), [match.group(2)]
            outline.enter(len(match.group(1)), heading)
        else:
            lines.append(line)
    if "".join(lines).strip():
        sections.append(Section("\n".join(lines), heading=heading, section_path=outline.path))
    return sections
