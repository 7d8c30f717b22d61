"""Zipped documents are refused by their declared unpacked size, before anything unpacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tests.support.documents import make_zip_bomb
from tgtrainer.knowledge.errors import DocumentTooLargeError, UnreadableDocumentError
from tgtrainer.knowledge.extract import Limits, admit, extract
from tgtrainer.knowledge.extract.zip_guard import open_zip


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.docx", make_zip_bomb(unpacked_mb=50))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(DocumentTooLargeError, match="unpacks to 50 MB"):
        extract(path, admit("bomb.docx", None, None), limits=Limits(max_unpacked_bytes=10 * 2**20))


def test_epub_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.epub", make_zip_bomb("OEBPS/chapter.xhtml", unpacked_mb=50))
    with pytest.raises(DocumentTooLargeError, match=r"This EPUB book unpacks to 50 MB.*10 MB"):
        extract(path, admit("bomb.epub", None, None), limits=Limits(max_unpacked_bytes=10 * 2**20))


def test_an_archive_within_the_limit_is_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "small.zip", make_zip_bomb(unpacked_mb=1))
    with open_zip(path, Limits(max_unpacked_bytes=2 * 2**20), "archive") as archive:
        assert "word/document.xml" in archive.namelist()


def test_a_file_that_is_not_a_zip_names_what_it_should_be(tmp_path: Path) -> None:
    path = write(tmp_path, "x.epub", b"not a zip")
    with pytest.raises(UnreadableDocumentError, match="not a readable EPUB book"):
        open_zip(path, Limits(), "EPUB book")
