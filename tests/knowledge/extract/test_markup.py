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


def test_paragraphs_written_as_divs_are_kept_in_document_order() -> None:
    """DocBook-style manuals write `<div class="para">`; text may also sit right in a div."""
    sections, _ = html_sections(
        '<div class="section"><h2 class="title">Install</h2>'
        '<div class="para">Run <code class="command">make</code> first.</div>'
        "Loose text in the section.<div><div>Nested <span>deep</span> text.</div></div>"
        "<dl><dt>term</dt><dd>its meaning</dd></dl></div>"
    )
    [install] = sections
    assert install.heading == "Install"
    assert install.text.split("\n") == [
        "Install",
        "Run make first.",
        "Loose text in the section.",
        "Nested deep text.",
        "term",
        "its meaning",
    ]


def test_navigation_templates_and_comments_are_not_text() -> None:
    sections, _ = html_sections(
        "<body><nav>Home</nav><div role='navigation'>Prev | Next</div><template>T</template>"
        "<!-- a comment --><noscript>Enable JS</noscript><p>Body.</p><br>After a break</body>"
    )
    assert [s.text for s in sections] == ["Body.\nAfter a break"]


def test_a_source_listing_of_lines_in_divs_is_kept_line_by_line() -> None:
    """Doxygen writes source code as `<div class="line">` runs: the old reader kept 0.1%."""
    lines = "".join(
        f'<div class="line"><span class="lineno">{n}</span> x = {n};</div>' for n in range(3)
    )
    sections, _ = html_sections(f'<div class="fragment">{lines}</div>')
    assert sections[0].text.split("\n") == ["0 x = 0;", "1 x = 1;", "2 x = 2;"]


def test_layout_tables_holding_headings_are_walked_like_blocks() -> None:
    sections, _ = html_sections(
        "<table><tr><td><h1>Guide</h1><p>Intro.</p></td></tr>"
        "<tr><td>a</td><td><p>b</p><p>c</p></td></tr></table>"
    )
    [guide] = sections
    assert guide.heading == "Guide" and guide.text.split("\n") == ["Guide", "Intro.", "a | b c"]


def test_a_page_nested_thousands_deep_is_read() -> None:
    depth = 5000
    sections, _ = html_sections("<div>" * depth + "Deep down." + "</div>" * depth)
    assert [s.text for s in sections] == ["Deep down."]
