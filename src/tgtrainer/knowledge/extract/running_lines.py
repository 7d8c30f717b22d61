"""Running heads and feet of printed pages: the chapter title and page number a book repeats at
the top or bottom of its pages ("Chapter 3: Basic Shell Features 47"). Left in, they open and
close passages with words the page is not about."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

MIN_PAGES = 6  # shorter documents keep every line: too few pages to tell
MIN_REPEATS = 3  # a first or last line seen on this many pages, numbers aside, is furniture
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def without_running_lines(pages: Sequence[str]) -> list[str]:
    """`pages` without their first and last lines where those recur, numbers aside, on at least
    MIN_REPEATS pages."""
    if len(pages) < MIN_PAGES:
        return list(pages)
    seen: Counter[str] = Counter()
    for text in pages:
        seen.update({_shape(line) for line in _edges(text)})
    furniture = {shape for shape, count in seen.items() if count >= MIN_REPEATS and shape}
    return [_trimmed(text, furniture) for text in pages]


def _edges(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[:1] + lines[-1:] if lines else []


def _shape(line: str) -> str:
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().lower()


def _trimmed(text: str, furniture: set[str]) -> str:
    lines = text.splitlines()
    content = [index for index, line in enumerate(lines) if line.strip()]
    if not content:
        return text
    drop = {i for i in (content[0], content[-1]) if _shape(lines[i]) in furniture}
    return "\n".join(line for index, line in enumerate(lines) if index not in drop)
