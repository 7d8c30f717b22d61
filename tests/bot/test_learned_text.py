"""What the bot says once a document is learned: learned, updated, or already known."""

from __future__ import annotations

from tgtrainer.bot.learned_text import describe, summarize
from tgtrainer.core.file_learning import Learned
from tgtrainer.knowledge.types import DocumentInfo, LearnResult

REPORT = DocumentInfo(7, "user:1", "report.pdf", 2048, 3, 12, "Annual report", 1_700_000_000.0)
NOTE = DocumentInfo(8, "user:1", "note: one fact", 8, 1, None, None, 1_700_000_000.0)


def test_a_learned_document_is_described_by_pages_passages_and_first_heading() -> None:
    assert describe(LearnResult(REPORT, "learned", ("Only the first 500 pages were read.",))) == (
        "Learned report.pdf: 12 pages, 3 passages.\nFirst heading: Annual report\n"
        "Only the first 500 pages were read.\nAsk me about it."
    )
    assert describe(LearnResult(NOTE, "learned")) == (
        "Learned note: one fact: 1 passage.\nAsk me about it."
    )


def test_a_new_version_says_it_replaces_and_a_known_file_changes_nothing() -> None:
    assert describe(LearnResult(REPORT, "replaced")).startswith(
        "Updated report.pdf: 12 pages, 3 passages. The new version replaces the old one."
    )
    assert describe(LearnResult(REPORT, "known")) == (
        "I already know report.pdf (learned 2023-11-14); nothing changed."
    )


def test_the_characters_read_are_told_and_a_thin_document_is_warned_about() -> None:
    page = DocumentInfo(9, "user:1", "app.html", 300 * 1024, 1, None, None, 1_700_000_000.0)
    assert describe(LearnResult(page, "learned", characters=200), thin=True) == (
        "Learned app.html: 1 passage, 200 characters.\nThis 300.0 KB file gave only 200 "
        "characters; it may be mostly pictures or scripts.\nAsk me about it."
    )
    assert describe(LearnResult(REPORT, "learned", characters=12_345), thin=True).startswith(
        "Learned report.pdf: 12 pages, 3 passages, 12,345 characters.\nFirst heading: Annual "
        "report\nIts 12 pages gave only 12,345 characters; they may be mostly pictures."
    )


def test_a_batch_is_summed_up_with_a_line_for_each_document() -> None:
    learned = [
        Learned("report.pdf", LearnResult(REPORT, "learned", characters=5000)),
        Learned("note", LearnResult(NOTE, "known")),
        Learned("setup.exe", error="I can't read .exe files."),
        Learned("report.pdf", LearnResult(REPORT, "replaced", characters=10), thin=True),
    ]
    assert summarize(learned) == (
        "Learned 3 of 4 documents:\n"
        "• report.pdf: 12 pages, 3 passages, 5,000 characters.\n"
        "• note: already known, nothing changed.\n"
        "✗ setup.exe: I can't read .exe files.\n"
        "• report.pdf (updated): 12 pages, 3 passages, 10 characters. Its 12 pages gave only "
        "10 characters; they may be mostly pictures.\n"
        "In all: 7 passages, 5,010 characters. Ask me about them."
    )
    assert summarize([Learned("a.exe", error="No.")]) == "Learned 0 of 1 document:\n✗ a.exe: No."
