"""What of an answer is read aloud: Markdown, code, links and citation marks are not."""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCED_CODE = re.compile(r"^ {0,3}(```|~~~).*?(?:^ {0,3}\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INDENTED_CODE = re.compile(r"(?:^(?: {4}|\t)[^\n]*\n?)+", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))+(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]+>")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_CITATION = re.compile(r"\s?\[(?:\^?\d+(?:\s*[,;–-]\s*\^?\d+)*|\^[\w-]+|source\s*\d+)\]", re.I)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_QUOTE = re.compile(r"^ {0,3}>\s?", re.MULTILINE)
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", re.MULTILINE)
_RULE = re.compile(r"^ {0,3}(?:[-*_]\s*){3,}$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*\*|\*\*|\*|___|__|~~)(?=\S)(.+?)(?<=\S)\1")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_INLINE_CODE = re.compile(r"`+([^`]*)`+")
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”»)]*\s+")


def clean_for_speech(markdown: str) -> str:
    """The answer as plain sentences to speak: no code blocks, URLs, markup or citation marks."""
    text = _FENCED_CODE.sub("\n", markdown)
    text = _INDENTED_CODE.sub("\n", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub("", text)
    text = _URL.sub("", text)
    text = _CITATION.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _HEADING.sub(r"\1.", text)
    text = _QUOTE.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _LIST_MARKER.sub("", text)
    text = _INLINE_CODE.sub(r"\1", text)
    for _ in range(2):  # nested emphasis: **bold _and italic_**
        text = _EMPHASIS.sub(r"\2", text)
        text = _UNDERSCORE_EMPHASIS.sub(r"\1", text)
    text = text.replace("|", ", ")
    lines = [_tidy(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if re.search(r"\w", line))


def _tidy(line: str) -> str:
    """Spaces and punctuation left over from removed parts: "or , or ." -> "or, or."."""
    line = re.sub(r"[ \t]+", " ", line)
    line = re.sub(r"\s+([,.;:!?…])", r"\1", line)
    line = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", line)
    line = re.sub(r"[,;:]+([.!?…])", r"\1", line)
    return line.strip(" ,;:")


def sentences(text: str) -> list[str]:
    """Plain text cut into sentences; each line is at least its own sentence."""
    found: list[str] = []
    for line in text.splitlines():
        found.extend(part.strip() for part in _SENTENCE_END.split(line) if part.strip())
    return found


def speakable_chunks(markdown: str, chunk_chars: int = 0) -> Iterator[str]:
    """The answer's sentences in order, joined into pieces of up to `chunk_chars` characters
    (0: one sentence a piece)."""
    piece = ""
    for sentence in sentences(clean_for_speech(markdown)):
        if not re.search(r"[.!?…:;。！？]$", sentence):
            sentence += "."  # a list item or heading ends like a sentence when spoken
        if piece and len(piece) + 1 + len(sentence) > chunk_chars:
            yield piece
            piece = ""
        piece = f"{piece} {sentence}" if piece else sentence
    if piece:
        yield piece
