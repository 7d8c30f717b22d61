"""What the bot says once a document is learned: learned, updated, or already known."""

from __future__ import annotations

from tgtrainer.bot.documents import describe
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
