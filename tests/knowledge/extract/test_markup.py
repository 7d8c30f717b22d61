"""HTML: scripts dropped, sections split at headings, table rows kept as rows."""

from __future__ import annotations

from pathlib import Path

from tests.knowledge.extract.files import write
from tgtrainer.knowledge.extract import admit, extract, html_sections


def test_html_drops_scripts_and_splits_at_headings(tmp_path: Path) -> None:
    data = (
        b"<html><head><title>T</title><script>var x=1;</script></head><body>"
        b"<h1>Alpha</h1><p>one</p><h2>Beta</h2><p>two <b>bold</b></p>"
        b"<table><tr><td>a</td><td>b</td></tr></table></body></html>"
    )
    document = extract(write(tmp_path, "p.html", data), admit("p.html", None, None))
    assert document.title == "T"
    assert [s.heading for s in document.sections] == ["Alpha", "Beta"]
    assert "var x" not in "".join(s.text for s in document.sections)
    assert "a | b" in document.sections[1].text


def test_markup_without_blocks_gives_all_its_text() -> None:
    sections, title = html_sections("<div>just <span>words</span></div>")
    assert [s.text for s in sections] == ["just words"] and title is None
