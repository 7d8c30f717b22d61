"""Section paths (chapter > section > subsection) from every format with headings."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from tests.knowledge.extract.files import write
from tests.knowledge.extract.test_epub import CONTAINER, make_epub
from tgtrainer.knowledge.extract import admit, extract
from tgtrainer.knowledge.types import Section


def sections_of(tmp_path: Path, name: str, data: bytes) -> list[Section]:
    return extract(write(tmp_path, name, data), admit(name, None, None)).sections


def paths(sections: list[Section]) -> list[tuple[str, ...]]:
    return [section.path for section in sections]


def test_markdown_levels_make_the_path_and_a_shallower_heading_closes_deeper_ones(
    tmp_path: Path,
) -> None:
    text = "Intro.\n# Install\nA.\n## Network\nB.\n#### Proxy\nC.\n## Disks\nD.\n# Use\nE.\n"
    found = sections_of(tmp_path, "m.md", text.encode())
    assert paths(found) == [
        (),
        ("Install",),
        ("Install", "Network"),
        ("Install", "Network", "Proxy"),
        ("Install", "Disks"),
        ("Use",),
    ]


def test_docx_heading_styles_make_the_path_under_the_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Field Guide", level=0)
    document.add_paragraph("About this guide.")
    document.add_heading("Birds", level=1)
    document.add_heading("Owls", level=2)
    document.add_paragraph("Owls hunt at night.")
    document.add_heading("Fish", level=1)
    document.add_paragraph("Fish swim.")
    buffer = io.BytesIO()
    document.save(buffer)
    found = sections_of(tmp_path, "g.docx", buffer.getvalue())
    assert paths(found) == [("Field Guide",), ("Birds",), ("Birds", "Owls"), ("Fish",)]


HTML = """<html><body><p>Lead.</p><h1>Install</h1><p>A.</p><h2>Network</h2><p>B.</p>
<h3>Proxy</h3><p>C.</p><h2>Disks</h2><p>D.</p></body></html>"""
HTML_PATHS = [
    (),
    ("Install",),
    ("Install", "Network"),
    ("Install", "Network", "Proxy"),
    ("Install", "Disks"),
]


def test_html_heading_levels_make_the_path(tmp_path: Path) -> None:
    assert paths(sections_of(tmp_path, "p.html", HTML.encode())) == HTML_PATHS


def test_epub_chapters_keep_their_heading_paths(tmp_path: Path) -> None:
    opf = """<package><manifest><item id="one" href="one.xhtml"/></manifest>
    <spine><itemref idref="one"/></spine></package>"""
    data = make_epub(
        {"META-INF/container.xml": CONTAINER, "OEBPS/book.opf": opf, "OEBPS/one.xhtml": HTML}
    )
    assert paths(sections_of(tmp_path, "b.epub", data)) == HTML_PATHS
