"""Chunking follows structure, respects the size limit, overlaps, and never crosses sections."""

from __future__ import annotations

import itertools

from tgtrainer.knowledge.chunking import chunk_sections
from tgtrainer.knowledge.text import clean_text
from tgtrainer.knowledge.types import Section


def test_short_sections_stay_whole_and_keep_their_place() -> None:
    chunks = chunk_sections([Section("One.", page=1), Section("Two.", page=2, heading="H")])
    assert [(c.text, c.page, c.heading) for c in chunks] == [("One.", 1, None), ("Two.", 2, "H")]


def test_long_text_is_cut_within_the_limit_with_overlap() -> None:
    paragraphs = [" ".join(f"p{p}w{w}" for w in range(60)) for p in range(10)]
    chunks = chunk_sections([Section("\n\n".join(paragraphs))], max_words=150, overlap_words=20)
    assert len(chunks) > 3
    assert all(len(c.text.split()) <= 150 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        assert before.text.split()[-1] in after.text.split()[:25]
    every = {w for c in chunks for w in c.text.split()}
    assert every == {w for p in paragraphs for w in p.split()}


def test_a_giant_paragraph_is_split_by_sentences_then_words() -> None:
    sentence = " ".join(["word"] * 400) + "."
    chunks = chunk_sections([Section(sentence + " Short end.")], max_words=100, overlap_words=0)
    assert all(len(c.text.split()) <= 100 for c in chunks)
    assert chunks[-1].text.endswith("Short end.")


def test_cleaning_joins_hyphenated_words_and_drops_control_characters() -> None:
    text = "An exam-\nple\x00 of   text\u00ad.\r\n\n\n\nNext"
    assert clean_text(text) == "An example of text.\n\nNext"


def test_a_table_drawn_with_box_characters_keeps_its_words_between_bars() -> None:
    """Text manuals (the Mutt manual) draw tables with box characters: they carry no words,
    yet would fill a passage and the embedder's 256 word pieces."""
    table = (
        "Table 2.14. PGP key menu flags\n\n"
        "┌────┬──────────────────────┐\n"
        "│Flag│Description           │\n"
        "├────┼──────────────────────┤\n"
        "│R   │The key has been revoked│\n"
        "└────┴──────────────────────┘\n"
        "After ─ the table."
    )
    assert clean_text(table) == (
        "Table 2.14. PGP key menu flags\n\n"
        "| Flag | Description |\n"
        "| R | The key has been revoked |\n"
        "After the table."
    )


def test_chunks_keep_the_section_path_and_a_bare_chapter_heading_makes_no_chunk() -> None:
    sections = [
        Section("Install", heading="Install", section_path=("Install",)),
        Section("Network\nPlug the cable.", heading="Network", section_path=("Install", "Network")),
        Section("Usage", heading="Usage", section_path=("Usage",)),
    ]
    chunks = chunk_sections(sections)
    # "Install" lives on in the path of its first section; "Usage" has nothing under it.
    assert [(c.text, c.section_path) for c in chunks] == [
        ("Network\nPlug the cable.", ("Install", "Network")),
        ("Usage", ("Usage",)),
    ]
    assert chunks[0].section == "Install > Network"


def test_a_heading_without_a_path_stands_for_it() -> None:
    [chunk] = chunk_sections([Section("Text.", heading="Only")])
    assert (chunk.heading, chunk.section_path, chunk.section) == ("Only", ("Only",), "Only")
