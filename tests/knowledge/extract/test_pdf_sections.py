"""PDF sections: headings from the outline or the fonts cut the pages, chunks never cross a
heading and carry their section path and page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tests.support.documents import make_pdf, make_sectioned_pdf
from tgtrainer.knowledge.chunking import chunk_sections
from tgtrainer.knowledge.extract import admit, extract
from tgtrainer.knowledge.types import Chunk

# Each section's sentences hold its own marker word, so a chunk tells which sections it took from.
MANUAL = [
    (1, "Installation", "Installing needs care: keep the box markerinstall dry. " * 30),
    (2, "Network setup", "The cable goes in port markernetwork first. " * 25),
    (3, "Proxy servers", "Set HTTP_PROXY so markerproxy reaches the mirror. " * 12),
    (2, "Disks", "Each disk markerdisks is mounted read-only at first. " * 120),
    (1, "Usage", "Run it daily so markerusage stays fresh. " * 10),
]
PATHS = {
    "markerinstall": ("Installation",),
    "markernetwork": ("Installation", "Network setup"),
    "markerproxy": ("Installation", "Network setup", "Proxy servers"),
    "markerdisks": ("Installation", "Disks"),
    "markerusage": ("Usage",),
}
HEADINGS = {heading for _, heading, _ in MANUAL}


def chunks_of(tmp_path: Path, data: bytes) -> list[Chunk]:
    path = write(tmp_path, "manual.pdf", data)
    return chunk_sections(extract(path, admit("manual.pdf", None, None)).sections)


@pytest.mark.parametrize("outline", [True, False], ids=["outline", "fonts"])
def test_chunks_never_cross_a_heading_and_carry_their_section_path(
    tmp_path: Path, outline: bool
) -> None:
    chunks = chunks_of(tmp_path, make_sectioned_pdf(MANUAL, outline=outline))
    seen = set()
    for chunk in chunks:
        markers = set(re.findall(r"marker\w+", chunk.text))
        assert len(markers) == 1, f"a chunk spans sections {markers}: {chunk.text[:80]!r}"
        [marker] = markers
        assert chunk.section_path == PATHS[marker]
        assert chunk.heading == PATHS[marker][-1]
        # A heading opens its passage; it never sits at the tail of the passage before.
        inside = [h for h in HEADINGS if h in chunk.text and not chunk.text.startswith(h)]
        assert not inside, f"{inside} inside {chunk.text[:80]!r}"
        seen.add(marker)
    assert seen == set(PATHS)
    pages = [chunk.page for chunk in chunks]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] >= 2  # "Disks" runs on


@pytest.mark.parametrize("outline", [True, False], ids=["outline", "fonts"])
def test_a_subsection_opens_its_own_passage_with_its_first_sentence(
    tmp_path: Path, outline: bool
) -> None:
    """The failure measured before: a subsection's heading and first sentence sat at the end of
    a passage about something else, so a question about it was missed."""
    blocks = [
        (1, "Printing", "Printers print pages quickly and quietly. " * 14),
        (2, "Paper jams", "Open tray B and pull the jammed sheet toward you. More text follows."),
    ]
    chunks = chunks_of(tmp_path, make_sectioned_pdf(blocks, outline=outline))
    [jam] = [c for c in chunks if "tray B" in c.text]
    assert jam.text.startswith("Paper jams\nOpen tray B")
    assert jam.section_path == ("Printing", "Paper jams") and jam.page == 1
    assert all("Paper jams" not in c.text for c in chunks if c is not jam)


def test_a_bold_running_header_on_every_page_is_not_a_heading(tmp_path: Path) -> None:
    blocks = [(1, "Overview", "The overview markeroverview explains. " * 400)]
    data = make_sectioned_pdf(blocks, outline=False, running_header="ACME Manual v2")
    chunks = chunks_of(tmp_path, data)
    assert len({c.page for c in chunks}) >= 3
    # Only the header's first showing, above the first heading, is outside the section.
    assert {c.section_path for c in chunks if "markeroverview" in c.text} == {("Overview",)}
    assert {c.heading for c in chunks} <= {None, "Overview"}


def test_a_pdf_with_one_font_has_pages_and_no_sections(tmp_path: Path) -> None:
    chunks = chunks_of(tmp_path, make_pdf(["Intro page.", "Phobos and Deimos orbit Mars."]))
    assert [(c.page, c.heading, c.section_path) for c in chunks] == [(1, None, ()), (2, None, ())]


def test_the_outline_names_sections_even_when_the_fonts_are_plain(tmp_path: Path) -> None:
    """Outline titles are found among the page's lines however they are set."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for title, text in [("Setup", "Plug it in."), ("Care", "Wipe it with a dry cloth.")]:
        pdf.start_section(title)
        pdf.multi_cell(0, 6, f"{title}\n{text}", new_x="LMARGIN", new_y="NEXT")
    chunks = chunks_of(tmp_path, bytes(pdf.output()))
    assert [(c.section_path, c.text) for c in chunks] == [
        (("Setup",), "Setup\nPlug it in."),
        (("Care",), "Care\nWipe it with a dry cloth."),
    ]


def test_running_heads_and_page_numbers_are_left_out_of_the_passages(tmp_path: Path) -> None:
    """A book repeats its chapter title and page number on every page; left in, they would open
    passages with words the page is not about."""
    from fpdf import FPDF

    class Book(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Chapter 3: Basic Shell Features {self.page_no() + 40}")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of the Shell Manual")

    pdf = Book()
    pdf.set_font("Helvetica", size=11)
    for page in range(1, 9):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page body {page} tells about redirection{page}.")
    chunks = chunks_of(tmp_path, bytes(pdf.output()))
    assert [c.text for c in chunks] == [
        f"Page body {page} tells about redirection{page}." for page in range(1, 9)
    ]


def test_a_short_pdf_keeps_a_line_that_repeats_on_its_few_pages(tmp_path: Path) -> None:
    chunks = chunks_of(tmp_path, make_pdf(["Keep this.\nOne.", "Keep this.\nTwo.", "Keep this."]))
    assert all(c.text.startswith("Keep this.") for c in chunks)
