"""Zipped documents are refused by their declared unpacked size before anything unpacks, and by
the bytes they really unpack to when the headers lie."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tests.support.documents import make_docx, make_lying_zip, make_zip_bomb
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


@pytest.mark.parametrize(
    ("name", "member", "what"),
    [
        ("liar.docx", "word/document.xml", "DOCX document"),
        ("liar.epub", "OEBPS/chapter.xhtml", "EPUB book"),
    ],
)
def test_a_zip_whose_headers_lie_is_refused_by_what_really_unpacks(
    tmp_path: Path, name: str, member: str, what: str
) -> None:
    """The member claims 60 KB and inflates to 200 MB: the declared sizes pass, the bytes that
    come out do not, and they are counted piece by piece (memory stays small)."""
    real = make_docx("Report", [("Intro", "Text.")]) if name.endswith(".docx") else None
    path = write(tmp_path, name, make_lying_zip(member, unpacked_mb=200, around=real))
    assert path.stat().st_size < 2_000_000  # the real DOCX parts travel stored, not compressed
    tracemalloc.start()
    try:
        with pytest.raises(
            DocumentTooLargeError, match=rf"This {what} unpacks to more than the 10 MB I accept"
        ):
            extract(path, admit(name, None, None), limits=Limits(max_unpacked_bytes=10 * 2**20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # generous: one 64 KB piece at a time is what it needs


def test_a_lying_zip_within_the_limit_is_read_no_further_than_it_unpacks(tmp_path: Path) -> None:
    """Headers that lie about a small member: within the limit, so the reader meets the
    damage (a wrong checksum) and says the file is damaged."""
    real = make_docx("Report", [("Intro", "Text.")])
    path = write(tmp_path, "small-liar.docx", make_lying_zip(unpacked_mb=1, around=real))
    with pytest.raises(UnreadableDocumentError, match="not a readable DOCX document"):
        extract(path, admit("small-liar.docx", None, None))


def test_an_encrypted_member_is_refused_as_unreadable(tmp_path: Path) -> None:
    data = bytearray(make_zip_bomb(unpacked_mb=1))
    directory = data.rfind(b"PK\x01\x02")  # the last member's entry: set its "encrypted" flag
    data[directory + 8] |= 0x1
    path = write(tmp_path, "locked.docx", bytes(data))
    with pytest.raises(UnreadableDocumentError, match="not a readable DOCX document"):
        extract(path, admit("locked.docx", None, None))
