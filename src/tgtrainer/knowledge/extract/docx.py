"""DOCX: paragraphs and tables in document order, split at headings (python-docx)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.outline import Outline
from tgtrainer.knowledge.extract.zip_guard import open_zip
from tgtrainer.knowledge.types import ExtractedDocument, Section


def read_docx(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    open_zip(path, limits, "DOCX document").close()
    try:
        document = docx.Document(str(path))
        blocks = list(document.iter_inner_content())
    except Exception as error:
        raise UnreadableDocumentError(
            "This file is not a readable DOCX document; it may be damaged."
        ) from error
    sections: list[Section] = []
    outline = Outline()
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []

    def close() -> None:
        if lines:
            sections.append(Section("\n".join(lines), heading=heading, section_path=outline.path))
            lines.clear()

    for index, block in enumerate(blocks, start=1):
        if index % 50 == 0:
            progress(f"Reading part {index}/{len(blocks)}...")
        if isinstance(block, Paragraph):
            text = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if not text:
                continue
            if style == "Title" or style.startswith("Heading"):
                close()
                heading = text
                title = title or (text if style == "Title" else None)
                if style == "Title":  # it names the whole document: chapters start new paths
                    outline = Outline()
                else:
                    outline.enter(_level(style), text)
                lines.append(text)
            else:
                lines.append(text)
        elif isinstance(block, Table):
            rows = []
            for row in block.rows:
                cells = _unique(_cell_text(cell) for cell in row.cells)
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                lines.append("\n".join(rows))
    close()
    return ExtractedDocument(sections, title=title)


def _cell_text(cell: Any) -> str:
    """A table cell's paragraphs and the tables inside it (python-docx's `cell.text` leaves
    those out)."""
    from docx.table import Table

    parts = []
    for block in cell.iter_inner_content():
        if isinstance(block, Table):
            parts += [_cell_text(inner) for row in block.rows for inner in row.cells]
        else:
            parts.append(block.text)
    return "\n".join(part for part in (p.strip() for p in parts) if part)


def _level(style: str) -> int:
    """'Heading 2' -> 2; a heading style without a number counts as a chapter."""
    number = style.removeprefix("Heading").strip()
    return int(number) if number.isdigit() else 1


def _unique(cells: Iterator[str]) -> list[str]:
    """Merged cells repeat their text in python-docx; keep each once per row."""
    seen: list[str] = []
    for cell in cells:
        if not seen or cell != seen[-1]:
            seen.append(cell)
    return seen
