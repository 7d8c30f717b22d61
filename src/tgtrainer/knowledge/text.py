"""Decoding bytes of unknown encoding, and cleaning extracted text."""

from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str | None:
    """`data` as text: BOM first, then UTF-8, then the best guess; None if it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        return None  # binary, or UTF-16 without a BOM, which we do not guess
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    # On short texts several 8-bit code pages tie; the one whose words look like words wins.
    calm = min(match.chaos for match in matches) + 0.05
    candidates = [m.encoding for m in matches if m.chaos <= calm]
    candidates += [e for e in ("cp1252", "cp1251", "koi8_r") if e not in candidates]
    sample = data[:65536]
    best = max(candidates, key=lambda e: (_plausibility(sample, e), -_PREFERENCE.get(e, 99)))
    return data.decode(best, errors="replace")


_PREFERENCE = {"utf_8": 0, "cp1252": 1, "cp1251": 2, "latin_1": 3, "koi8_r": 4, "cp1250": 5}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u024f]")


def _plausibility(data: bytes, encoding: str) -> float:
    """The share of words written in one script, with few accented letters among plain ones."""
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return -1.0
    words = re.findall(r"[^\W\d_]{2,}", text)
    if not words:
        return 0.0
    good = 0
    for word in words:
        cyrillic = len(_CYRILLIC.findall(word))
        accented = len(_LATIN_ACCENTED.findall(word))
        one_script = cyrillic == len(word) or (cyrillic == 0 and accented * 2 < len(word))
        cased = word in (word.lower(), word.upper(), word.capitalize())
        good += one_script and cased
    return good / len(words)


_SOFT_HYPHEN = "\u00ad"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HYPHENATED_BREAK = re.compile(r"(\w)-\n(\w)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
# Tables drawn with box characters (man pages, text manuals): rules go, cell walls become "|".
_BOX_RULE_LINE = re.compile(
    r"^[ \t\u2500-\u257f+=-]*[\u2500-\u257f][ \t\u2500-\u257f+=-]*(?:\n|$)", re.M
)
_BOX_WALLS = re.compile(r"[ \t]*[\u2502\u2503\u2551][ \t]*")
_BOX_OTHER = re.compile(r"[\u2500-\u257f]+")


def clean_text(text: str) -> str:
    """Normalised text: NFC, no control characters, words re-joined across line-end hyphens,
    tables drawn with box characters reduced to "|" between cells, runs of spaces collapsed, at
    most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace(_SOFT_HYPHEN, "").replace("\ufeff", "")
    text = _CONTROL.sub("", text)
    text = _box_drawing_reduced(text)
    text = _HYPHENATED_BREAK.sub(r"\1\2", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _box_drawing_reduced(text: str) -> str:
    """Box-drawn table rules removed and cell walls written "|": the characters carry no words,
    yet fill a passage and the embedder's 256 word pieces (the Mutt manual's tables)."""
    if not _BOX_OTHER.search(text):
        return text
    text = _BOX_RULE_LINE.sub("", text)
    text = _BOX_WALLS.sub(" | ", text)
    return _BOX_OTHER.sub(" ", text)
