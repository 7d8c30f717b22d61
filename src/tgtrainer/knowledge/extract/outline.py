"""The headings open at a point of a document, outermost first: its section path."""

from __future__ import annotations


class Outline:
    """Follows a document's headings as it is read: a heading of level n closes the open ones
    of level n and deeper, so skipped levels (an h1 then an h3) need no special case."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    def enter(self, level: int, heading: str) -> tuple[str, ...]:
        """Open `heading` at `level` (1: chapter); returns the section path now."""
        self._open = [(lvl, text) for lvl, text in self._open if lvl < level]
        self._open.append((level, " ".join(heading.split())))
        return self.path

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._open)
