"""PDF text layer: pages kept, limits and damage told in a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tests.support.documents import make_pdf
from tgtrainer.knowledge.errors import DocumentTooLargeError, NoTextError, UnreadableDocumentError
from tgtrainer.knowledge.extract import Limits, admit, extract


def test_pdf_keeps_pages_and_reports_progress(tmp_path: Path) -> None:
    path = write(tmp_path, "r.pdf", make_pdf(["First page text.", "Second page: the otter."]))
    lines: list[str] = []
    document = extract(path, admit("r.pdf", None, None), progress=lines.append)
    assert document.pages == 2
    assert [s.page for s in document.sections] == [1, 2]
    assert "otter" in document.sections[1].text
    assert lines == ["Reading page 1/2...", "Reading page 2/2..."]


def test_pdf_over_the_page_limit_is_refused_with_the_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "big.pdf", make_pdf([f"page {i}" for i in range(12)]))
    with pytest.raises(DocumentTooLargeError, match=r"12 pages.*at most 10 pages"):
        extract(path, admit("big.pdf", None, None), limits=Limits(max_pages=10))


def test_encrypted_pdf_says_it_needs_the_password(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.pdf", make_pdf(["hidden"], password="pw"))
    with pytest.raises(UnreadableDocumentError, match="password"):
        extract(path, admit("secret.pdf", None, None))


@pytest.mark.parametrize("data", [b"%PDF-1.7\n garbage \x00\x01", b"not a pdf at all"])
def test_corrupt_pdf_is_unreadable(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableDocumentError, match="not a readable PDF"):
        extract(write(tmp_path, "broken.pdf", data), admit("broken.pdf", None, None))


def test_pdf_without_text_layer_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", make_pdf([""]))
    with pytest.raises(NoTextError, match="no text layer"):
        extract(path, admit("scan.pdf", None, None))
