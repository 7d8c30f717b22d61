"""Real manuals from outside the project, as Debian ships them (`make install` puts them in
place): the HTML and EPUB readers keep at least 95% of each page's visible text.

The visible text is measured independently of the reader: lxml (not BeautifulSoup) parses the
page and every text node of its body is counted, except in scripts, styles, templates and
navigation. Characters are counted without whitespace, which readers lay out differently.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tgtrainer.knowledge.extract import admit, extract

KEPT = 0.95
SMALLEST = 200  # characters: index stubs and redirects say too little to measure
MANUALS = {  # Debian package: its HTML pages
    "maint-guide": "/usr/share/doc/maint-guide/html/*.en.html",  # DocBook XSL
    "libcunit1-doc": "/usr/share/doc/libcunit1-doc/html/*.html",  # hand-written, text in divs
    "libjsoncpp-doc": "/usr/share/doc/libjsoncpp-doc/*.html",  # Doxygen, source listings
    "developers-reference": "/usr/share/developers-reference/*.html",  # Sphinx
}
EPUB = Path("/usr/share/developers-reference/developers-reference.epub")
HIDDEN = "//script|//style|//template|//noscript|//nav|//*[@role='navigation']"


def characters(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def visible(markup: bytes) -> int:
    """The characters of the body's text nodes, outside what is hidden (see the module)."""
    tree = lxml_html.fromstring(markup)
    for hidden in tree.xpath(HIDDEN):
        hidden.drop_tree()
    body = tree.find("body")
    return characters("".join((body if body is not None else tree).itertext()))


def pages(pattern: str) -> list[Path]:
    found = sorted(Path("/").glob(pattern.lstrip("/")))
    if not found:
        pytest.skip(f"{pattern} is not installed (make install puts it in place)")
    return found


def extracted(path: Path) -> int:
    document = extract(path, admit(path.name, None, None))
    return characters("".join(section.text for section in document.sections))


@pytest.mark.parametrize("package", sorted(MANUALS))
def test_real_html_manuals_keep_their_visible_text(package: str) -> None:
    measured = []
    for path in pages(MANUALS[package]):
        expected = visible(path.read_bytes())
        if expected >= SMALLEST:
            measured.append((path.name, extracted(path), expected))
    short = [(name, got, want) for name, got, want in measured if got < KEPT * want]
    assert measured and short == []


def test_a_real_epub_book_keeps_its_visible_text() -> None:
    if not EPUB.exists():
        pytest.skip(f"{EPUB} is not installed (make install puts it in place)")
    with zipfile.ZipFile(EPUB) as book:
        expected = sum(
            visible(book.read(name))
            for name in book.namelist()
            if name.endswith(".xhtml") and name != "nav.xhtml"
        )
    assert extracted(EPUB) >= KEPT * expected
