"""Plain text in any common encoding, and Markdown split at its headings."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tests.knowledge.extract.files import all_text, write
from tgtrainer.knowledge.errors import NoTextError, UnreadableDocumentError
from tgtrainer.knowledge.extract import admit, extract, markdown_sections


@pytest.mark.parametrize(
    ("encoded", "label"),
    [
        ("Кошка спит на тёплой печке весь день.".encode("cp1251"), "cp1251"),
        (codecs.BOM_UTF16_LE + "Grüße aus Köln, schöne Straße".encode("utf-16-le"), "utf-16"),
        ("Grüße aus Köln".encode(), "utf-8"),
        ("Съешь же ещё этих мягких французских булок".encode("koi8_r"), "koi8_r"),
        ("Café crème brûlée à la carte, très élégant".encode("latin-1"), "latin-1"),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoded: bytes, label: str) -> None:
    text = all_text(write(tmp_path, f"{label}.txt", encoded))
    for word in ("Кошка", "печке", "Köln", "Grüße", "crème", "élégant"):
        if word.encode("utf-8") in encoded.decode(label, errors="ignore").encode("utf-8"):
            assert word in text


def test_markdown_sections_follow_headings(tmp_path: Path) -> None:
    data = b"# Guide\nintro\n## Setup\nrun make\n```\n# not a heading\n```\n## Use\nask"
    document = extract(write(tmp_path, "g.md", data), admit("g.md", None, None))
    assert [s.heading for s in document.sections] == ["Guide", "Setup", "Use"]
    assert "# not a heading" in document.sections[1].text


def test_markdown_sections_keep_the_text_before_the_first_heading() -> None:
    sections = markdown_sections("preface\n# One\nbody ##\n")
    assert [(s.heading, s.text) for s in sections] == [(None, "preface"), ("One", "One\nbody ##")]


def test_binary_garbage_named_txt_is_refused(tmp_path: Path) -> None:
    with pytest.raises((UnreadableDocumentError, NoTextError)):
        extract(write(tmp_path, "b.txt", bytes(range(256)) * 20), admit("b.txt", None, None))
