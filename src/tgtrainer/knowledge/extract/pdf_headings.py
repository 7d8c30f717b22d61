"""Where a PDF's sections begin: its outline (bookmarks) when it has one, else the lines set
larger or bolder than the body text.

A PDF has no headings as such, only text drawn in fonts. The outline names the sections and
their pages; the font fallback reads each line's size and weight from pypdf's text visitor.
Either way a heading is then found among the page's extracted lines, and the page is cut there.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HEADING_SCALE = 1.15  # a line this much larger than the body text is a heading
MAX_HEADING_WORDS = 20
RUNNING_HEADER_PAGES = 3  # a heading-like line opening or closing this many pages is a header
_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
_NOT_KEY = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Heading:
    page: int  # 1-based
    level: int  # 1: chapter, 2: section...
    title: str


@dataclass(frozen=True, slots=True)
class StyledLine:
    """One line of a page as drawn: its text, font size (in points, as seen) and weight."""

    text: str
    size: float
    bold: bool


def outline_headings(reader: Any) -> list[Heading]:
    """The outline's entries with their pages and depths; none when it is missing or broken."""
    found: list[Heading] = []

    def walk(items: Sequence[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):  # the children of the entry before it
                walk(item, level + 1)
                continue
            title = " ".join(str(item.title or "").split())
            page = reader.get_destination_page_number(item)
            if title and page is not None and page >= 0:
                found.append(Heading(page + 1, level, title))

    try:
        walk(reader.outline, 1)
    except Exception:  # an outline is a bonus: a broken one is ignored, the fonts decide
        return []
    return found


def styled_text(page: Any) -> tuple[str, list[StyledLine]]:
    """The page's extracted text, and its lines with their fonts."""
    lines: dict[float, list[tuple[str, float, bool]]] = defaultdict(list)

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        # The text matrix times the current transformation: the size and height as drawn.
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        lines[round(y, 0)].append((text.strip(), round(size * scale * 2) / 2, _is_bold(font)))

    text = page.extract_text(visitor_text=visit) or ""
    styled = [
        StyledLine(
            " ".join(part for part, _, _ in parts),
            min(size for _, size, _ in parts),
            all(bold for _, _, bold in parts),
        )
        for parts in lines.values()
    ]
    return text, styled


def font_headings(pages: Sequence[Sequence[StyledLine]]) -> list[Heading]:
    """Lines set larger than the body text (bigger is higher), or bold in a body that is not,
    short and with letters; lines that open or close several pages (running headers) are not
    headings. Consecutive heading lines of one style are one heading wrapped."""
    sizes: Counter[float] = Counter()
    bold_at_body: Counter[bool] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    if not sizes:
        return []
    body = sizes.most_common(1)[0][0]
    for lines in pages:
        for line in lines:
            if line.size == body:
                bold_at_body[line.bold] += len(line.text)
    body_is_bold = bold_at_body[True] > bold_at_body[False]

    def style(line: StyledLine) -> float | None:
        """The heading rank of a line's style (its size; bold body text just above the body)."""
        words = len(line.text.split())
        if words > MAX_HEADING_WORDS or not any(c.isalpha() for c in line.text):
            return None
        if line.size >= body * HEADING_SCALE:
            return line.size
        if line.bold and not body_is_bold and line.size >= body:
            return body + 0.1
        return None

    edges: Counter[str] = Counter()
    for lines in pages:
        for line in {lines[0], lines[-1]} if lines else set():
            if style(line) is not None:
                edges[heading_key(line.text)] += 1
    runs: list[tuple[int, float, str]] = []  # (page, style, title)
    for number, lines in enumerate(pages, start=1):
        previous: float | None = None
        for line in lines:
            rank = style(line)
            if rank is not None and edges[heading_key(line.text)] >= RUNNING_HEADER_PAGES:
                rank = None
            if rank is not None and rank == previous:
                page, _, title = runs[-1]
                runs[-1] = (page, rank, f"{title} {line.text}")
            elif rank is not None:
                runs.append((number, rank, line.text))
            previous = rank
    levels = {
        rank: level for level, rank in enumerate(sorted({r for _, r, _ in runs}, reverse=True), 1)
    }
    return [Heading(page, levels[rank], title) for page, rank, title in runs]


def split_at_headings(text: str, headings: Sequence[Heading]) -> list[tuple[Heading | None, str]]:
    """The page's text cut where each of its headings is found, in order: the text before the
    first (None: it continues the section of the page before), then each heading's. A heading
    not found among the lines starts where the one before it did (the page top if first)."""
    lines = text.split("\n")
    keys = [heading_key(line) for line in lines]
    starts: list[int] = []
    position = 0
    for heading in headings:
        found = _find(keys, heading_key(heading.title), position)
        position = found if found is not None else position
        starts.append(position)
    parts: list[tuple[Heading | None, str]] = (
        [(None, "\n".join(lines[: starts[0]]))] if headings else [(None, text)]
    )
    for index, (heading, start) in enumerate(zip(headings, starts, strict=True)):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        parts.append((heading, "\n".join(lines[start:end])))
    if len(parts) > 1 and _one_short_line(parts[0][1]):
        # A running header above the page's first heading: read with that heading's section,
        # not left as a passage of its own.
        parts = [(parts[1][0], f"{parts[0][1]}\n{parts[1][1]}"), *parts[2:]]
    return [(heading, part) for heading, part in parts if part.strip() or heading is not None]


def _one_short_line(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) == 1 and len(lines[0].split()) <= MAX_HEADING_WORDS


def heading_key(text: str) -> str:
    """Text compared without case, spaces or punctuation: extraction spaces words unevenly."""
    return _NOT_KEY.sub("", text).casefold()


def _find(keys: Sequence[str], title: str, start: int) -> int | None:
    """The first line at or after `start` that holds `title`, alone or with a number before it
    ("2.1 Network"), or wrapped over up to three lines."""
    if not title:
        return None
    for index in range(start, len(keys)):
        joined = ""
        for key in keys[index : index + 3]:
            joined += key
            if joined == title or (joined.endswith(title) and len(joined) - len(title) <= 8):
                return index
            if not title.startswith(joined):
                break
    return None


def _is_bold(font: Any) -> bool:
    try:
        name = str(font.get("/BaseFont", "")).lower() if font else ""
        descriptor = font.get("/FontDescriptor") if font else None
        weight = descriptor.get_object().get("/FontWeight") if descriptor is not None else None
    except Exception:  # a font dictionary that does not read is taken as regular
        return False
    return any(mark in name for mark in _BOLD_NAMES) or (
        weight is not None and float(weight) >= 600
    )
