"""Telegram HTML cut into messages that each fit Telegram's length limit.

The HTML is read once into its visible text and its elements (tag pairs) over that text. Cuts
are chosen in the text; each part is then the original HTML between its first and last
character, preceded by the start tags of the elements still open there and followed by the end
tags of those left open. Lengths are UTF-16 code units of the visible text, as Telegram counts.

Where to cut, best first: a blank line, a line break, a sentence end, a space, anywhere; never
inside a tag or a character entity. An element that fits in one message (a code block, a quote,
a bold run, a link) is never cut; a longer one is cut like text, so a code block at its lines.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from telegram.constants import MessageLimit

__all__ = ["shortened", "split_html"]

_TAG_NAMES = "a|b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|tg-emoji|pre|code|blockquote"
_TAG = re.compile(
    rf"<(?:/({_TAG_NAMES})?\s*|({_TAG_NAMES})((?:\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*)?))>",
    re.IGNORECASE,
)
_ENTITY = re.compile(
    r"&(?:(lt|gt|amp|quot)(?![A-Za-z])|#([0-9]{1,7})(?![0-9])|#x([0-9A-Fa-f]{1,6})(?![0-9A-Fa-f]));?"
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ESCAPES = ("&lt;", "&gt;", "&amp;", "&quot;")
_UNSAFE = re.compile(r"[<>&]")
_ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s)")
_SPACE = re.compile(r"\s")


def split_html(html: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """`html` as parts in order, each well-formed with at most `limit` UTF-16 units of text.

    Whitespace at a cut is dropped, and so are parts that would show only whitespace: HTML
    that shows nothing gives no parts.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 (one character may take two UTF-16 units)")
    document = _Document.read(html)
    if not document.clean:
        # Stray "<", ">" or "&" are text: write them escaped, then cut the tidy HTML.
        document = _Document.read(document.html_of(0, len(document.text)))
    cutter = _Cutter(document, limit)
    return [document.html_of(start, end) for start, end in cutter.spans()]


def shortened(text: str, limit: int = 200) -> str:
    """`text` as quoted back to the user inside a sentence: at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class _Element:
    start: int  # index of its first character in the visible text
    end: int  # index after its last character
    start_tag: str
    name: str
    parent: _Element | None


def _decode(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal, 10) if decimal else int(hexadecimal, 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group()  # Telegram keeps it as text
    return chr(code)


def _drop_decodable(match: re.Match[str]) -> str:
    return "" if _decode(match) != match.group() else match.group()


def _run_text_start(run: tuple[int, int, int, bool]) -> int:
    return run[0]


class _Document:
    """Telegram HTML as visible text, elements over it, and where each text run sits in it."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.text = ""
        self.elements: list[_Element] = []  # non-empty ones, in document order
        self.starts: list[int] = []
        self.clean = True  # every "<", ">" and "&" is part of a tag or an entity
        # Text between tags: (text start, HTML start, HTML end, has character entities).
        self.runs: list[tuple[int, int, int, bool]] = []

    @classmethod
    def read(cls, html: str) -> _Document:
        """Reads leniently: a `<` that starts no supported tag, or an end tag that closes
        nothing open, is text; tags left open close at the end."""
        document = cls(html)
        chunks: list[str] = []
        length = 0
        stack: list[_Element] = []
        elements: list[_Element] = []
        position = 0
        for tag in _TAG.finditer(html):
            end_name, start_name, _ = tag.groups()
            if start_name is None:
                if not stack:
                    continue  # an end tag with nothing open: text
                name = end_name.lower() if end_name else stack[-1].name
                if name != stack[-1].name and all(e.name != name for e in stack):
                    continue
            if position < tag.start():
                length += document.add_run(chunks, position, tag.start(), length)
            position = tag.end()
            if start_name is not None:
                parent = stack[-1] if stack else None
                element = _Element(length, -1, tag.group(), start_name.lower(), parent)
                elements.append(element)
                stack.append(element)
                continue
            while (element := stack.pop()).name != name:
                element.end = length
                document.clean = False  # closed by an outer end tag: written anew
            element.end = length
        if position < len(html):
            length += document.add_run(chunks, position, len(html), length)
        for element in stack:
            element.end = length
        document.text = "".join(chunks)
        document.elements = [element for element in elements if element.end > element.start]
        document.starts = [element.start for element in document.elements]
        return document

    def add_run(self, chunks: list[str], begin: int, end: int, text_start: int) -> int:
        """Adds the text between two tags; returns its length in characters."""
        raw = self.html[begin:end]
        has_entities = "&" in raw
        if not has_entities:
            text = raw
            self.clean = self.clean and "<" not in raw and ">" not in raw
        elif raw.count("&") == sum(raw.count(entity) for entity in _ESCAPES):
            # The usual case, our own escaping: plain replaces, "&amp;" last.
            text = raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            text = text.replace("&amp;", "&")
            self.clean = self.clean and "<" not in raw and ">" not in raw
        else:
            text = _ENTITY.sub(_decode, raw)
            self.clean = self.clean and not _UNSAFE.search(_ENTITY.sub(_drop_decodable, raw))
        if "\0" in text:  # Telegram refuses NUL
            text, self.clean = text.replace("\0", "\ufffd"), False
        chunks.append(text)
        self.runs.append((text_start, begin, end, has_entities))
        return len(text)

    def html_position(self, index: int, *, after: bool) -> int:
        """Where the character at text `index` starts in the HTML (or ends, if `after`)."""
        run = bisect_right(self.runs, index, key=_run_text_start) - 1
        text_start, html_start, html_end, has_entities = self.runs[run]
        offset = index - text_start
        if not has_entities:
            return html_start + offset + after
        position = html_start
        for entity in _ENTITY.finditer(self.html, html_start, html_end):
            if _decode(entity) == entity.group():
                continue  # not decoded: its characters are plain text
            plain = entity.start() - position
            if offset < plain:
                break
            offset -= plain
            if offset == 0:
                return entity.end() if after else entity.start()
            offset -= 1
            position = entity.end()
        return position + offset + after

    def open_at(self, index: int) -> list[_Element]:
        """The elements over the character at `index`, innermost first."""
        found = []
        last = bisect_right(self.starts, index) - 1
        # Any element over `index` is the last one starting at or before it, or an ancestor.
        element = self.elements[last] if last >= 0 else None
        while element is not None:
            if element.end > index:
                found.append(element)
            element = element.parent
        return found

    def html_of(self, start: int, end: int) -> str:
        """The HTML that shows text[start:end], with its elements closed and reopened."""
        if not self.clean:
            return self.escaped_html_of(start, end)
        opened = "".join(element.start_tag for element in reversed(self.open_at(start)))
        closed = "".join(f"</{element.name}>" for element in self.open_at(end - 1))
        body = self.html[
            self.html_position(start, after=False) : self.html_position(end - 1, after=True)
        ]
        return opened + body + closed

    def escaped_html_of(self, start: int, end: int) -> str:
        events: list[tuple[int, int, int, str]] = []  # (position, opens after closes, order, tag)
        for order, element in enumerate(self.elements):
            begin, finish = max(element.start, start), min(element.end, end)
            if begin < finish:
                events.append((begin, 1, order, element.start_tag))
                events.append((finish, 0, -order, f"</{element.name}>"))
        events.sort()
        pieces: list[str] = []
        position = start
        for at, _, _, tag in events:
            pieces.append(_escape(self.text[position:at]))
            pieces.append(tag)
            position = at
        pieces.append(_escape(self.text[position:end]))
        return "".join(pieces)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Utf16:
    """UTF-16 lengths of slices of a text."""

    def __init__(self, text: str) -> None:
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]
        self._size = len(text)

    def length(self, start: int, end: int) -> int:
        if not self._astral:
            return end - start
        return end - start + bisect_left(self._astral, end) - bisect_left(self._astral, start)

    def furthest_end(self, start: int, limit: int) -> int:
        """The largest end with `length(start, end) <= limit`."""
        end = min(self._size, start + limit)
        end -= max(0, self.length(start, end) - limit)
        while end < self._size and self.length(start, end + 1) <= limit:
            end += 1
        return end


class _Cutter:
    """Chooses where the parts of a document's text begin and end."""

    def __init__(self, document: _Document, limit: int) -> None:
        self.text = document.text
        self.limit = limit
        self.utf16 = _Utf16(self.text)
        # Elements that fit in one part, merged (document order is by start, outer first):
        # no cut may fall strictly inside them.
        self.keep_starts: list[int] = []
        self.keep_ends: list[int] = []
        for element in document.elements:
            if self.keep_ends and element.start < self.keep_ends[-1]:
                continue  # inside a kept element
            if self.utf16.length(element.start, element.end) <= limit:
                self.keep_starts.append(element.start)
                self.keep_ends.append(element.end)
        pres = [element for element in document.elements if element.name == "pre"]
        self.pre_starts = [element.start for element in pres]
        self.pre_ends = [element.end for element in pres]

    def spans(self) -> Iterator[tuple[int, int]]:
        """(start, end) in the text of each part that shows more than whitespace."""
        text, size = self.text, len(self.text)
        start = 0
        while start < size:
            if self.utf16.length(start, size) <= self.limit:
                end = next_start = size
            else:
                end = self.cut(start, self.utf16.furthest_end(start, self.limit))
                next_start = self.skip_whitespace(end)
                end = start + len(text[start:end].rstrip())
            if start < end and not text[start:end].isspace():
                yield start, end
            start = next_start

    def cut(self, start: int, end: int) -> int:
        """The best cut in (start, end]: the part is text[start:cut]."""
        for pattern, at_match_end in (
            (_PARAGRAPH, False),
            (_LINE, False),
            (_SENTENCE, True),
            (_SPACE, False),
        ):
            found = self.last(pattern, start, end, at_match_end=at_match_end)
            if found is not None:
                return found
        return self.anywhere(start, end)

    def last(
        self, pattern: re.Pattern[str], start: int, end: int, *, at_match_end: bool
    ) -> int | None:
        """The last allowed cut in (start, end] at a match of `pattern` (its start or end)."""
        matches = list(pattern.finditer(self.text, start + 1, end + 2))
        for match in reversed(matches):
            cut = match.end() if at_match_end else match.start()
            if start < cut <= end and self.allowed(cut):
                return cut
        return None

    def anywhere(self, start: int, end: int) -> int:
        kept_start = self.kept_start(end)
        end = end if kept_start is None else kept_start
        cut = end
        # A character stays with what modifies it: combining marks, selectors, joiners.
        while cut - 1 > start and _attached(self.text, cut):
            cut -= 1
        cut = cut if self.allowed(cut) else end
        return max(cut, start + 1)  # never stall, whatever the input

    def kept_start(self, cut: int) -> int | None:
        """The start of the kept element whose interior holds `cut`, if any."""
        index = bisect_right(self.keep_starts, cut) - 1
        if index >= 0 and self.keep_starts[index] < cut < self.keep_ends[index]:
            return self.keep_starts[index]
        return None

    def allowed(self, cut: int) -> bool:
        return self.kept_start(cut) is None

    def in_pre(self, index: int) -> bool:
        position = bisect_right(self.pre_starts, index) - 1  # code blocks do not nest
        return position >= 0 and index < self.pre_ends[position]

    def skip_whitespace(self, index: int) -> int:
        """Where the next part starts: after the whitespace at a cut (code keeps its indent)."""
        text = self.text
        while index < len(text) and text[index].isspace():
            if text[index] != "\n" and self.in_pre(index):
                break
            index += 1
        return index


def _attached(text: str, index: int) -> bool:
    """Whether text[index] belongs with the character before it."""
    if index >= len(text):
        return False
    following, previous = ord(text[index]), ord(text[index - 1])
    return (
        0x0300 <= following <= 0x036F  # combining diacritical marks
        or 0xFE00 <= following <= 0xFE0F  # variation selectors
        or 0x1F3FB <= following <= 0x1F3FF  # skin tones
        or following == 0x200D
        or previous == 0x200D  # zero-width joiner
    )
