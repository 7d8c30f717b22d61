"""EPUB: chapters read in spine order, the book's title kept."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract import admit, extract

CONTAINER = '<container><rootfiles><rootfile full-path="OEBPS/book.opf"/></rootfiles></container>'
OPF = """<package><metadata><dc:title>Harbour Notes</dc:title></metadata>
<manifest><item id="one" href="one.xhtml"/><item id="two" href="two.xhtml"/></manifest>
<spine><itemref idref="two"/><itemref idref="one"/><itemref idref="missing"/></spine></package>"""


def make_epub(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_epub_chapters_follow_the_spine(tmp_path: Path) -> None:
    data = make_epub(
        {
            "META-INF/container.xml": CONTAINER,
            "OEBPS/book.opf": OPF,
            "OEBPS/one.xhtml": "<html><body><h1>Gulls</h1><p>Gulls eat at dawn.</p></body></html>",
            "OEBPS/two.xhtml": "<html><body><h1>Tides</h1><p>High tide at six.</p></body></html>",
        }
    )
    lines: list[str] = []
    document = extract(
        write(tmp_path, "b.epub", data), admit("b.epub", None, None), progress=lines.append
    )
    assert document.title == "Harbour Notes"
    assert [s.heading for s in document.sections] == ["Tides", "Gulls"]
    assert lines == ["Reading chapter 1/3...", "Reading chapter 2/3...", "Reading chapter 3/3..."]


def test_epub_without_its_container_is_unreadable(tmp_path: Path) -> None:
    data = make_epub({"OEBPS/one.xhtml": "<p>hi</p>"})
    with pytest.raises(UnreadableDocumentError, match="not a readable EPUB book"):
        extract(write(tmp_path, "b.epub", data), admit("b.epub", None, None))
