"""The registry: every suffix and MIME type has a reader; a file is admitted (format, size)
once, before it is downloaded, and its real size is checked again when it is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tgtrainer.knowledge.errors import DocumentTooLargeError, NoTextError, UnsupportedFormatError
from tgtrainer.knowledge.extract import (
    FORMATS,
    SUPPORTED,
    Admitted,
    Limits,
    admit,
    detect_format,
    extract,
)
from tgtrainer.knowledge.extract.registry import BY_KIND, BY_MIME_TYPE, BY_SUFFIX


def test_every_suffix_and_mime_type_maps_to_a_reader() -> None:
    for format in FORMATS:
        assert callable(format.read)
        assert BY_KIND[format.kind] is format
        for suffix in format.suffixes:
            assert suffix.startswith(".") and suffix == suffix.lower()
            assert detect_format(f"File{suffix.upper()}") == format.kind
            assert BY_SUFFIX[suffix].read is format.read
        for mime_type in format.mime_types:
            assert detect_format("noext", f"{mime_type}; charset=utf-8") == format.kind
            assert BY_MIME_TYPE[mime_type].read is format.read


def test_no_suffix_or_mime_type_is_claimed_twice() -> None:
    suffixes = [suffix for format in FORMATS for suffix in format.suffixes]
    mime_types = [mime_type for format in FORMATS for mime_type in format.mime_types]
    assert len(suffixes) == len(set(suffixes)) and len(mime_types) == len(set(mime_types))


def test_the_supported_sentence_names_every_format() -> None:
    assert SUPPORTED == (
        "PDF, DOCX, TXT, Markdown, HTML, CSV, JSON and EPUB (and images, where OCR is installed)"
    )
    assert all(format.label in SUPPORTED for format in FORMATS)


def test_the_suffix_wins_over_the_mime_type() -> None:
    assert detect_format("notes.md", "text/plain") == "markdown"
    assert detect_format("noext", "application/pdf") == "pdf"


def test_admit_gives_the_kind_of_a_file_it_accepts() -> None:
    assert admit("Report.PDF", "application/pdf", 1000) == Admitted(
        "Report.PDF", "pdf", "application/pdf"
    )
    assert admit("notes", "text/markdown", None).kind == "markdown"  # size unknown: passes


@pytest.mark.parametrize(
    ("name", "mime_type", "sentence"),
    [
        ("setup.exe", None, r"^I can't read \.exe files; send PDF, DOCX, .* and EPUB \(and images"),
        ("noext", "application/octet-stream", r"^I can't read this kind of file; send PDF"),
    ],
)
def test_admit_refuses_an_unsupported_format(
    name: str, mime_type: str | None, sentence: str
) -> None:
    with pytest.raises(UnsupportedFormatError, match=sentence):
        admit(name, mime_type, 1000)


def test_admit_refuses_an_empty_file() -> None:
    with pytest.raises(NoTextError, match=r"^notes\.txt is empty\.$"):
        admit("notes.txt", "text/plain", 0)


@pytest.mark.parametrize(
    ("size", "said"),
    [(25 * 2**20, "25.0 MB"), (3 * 2**20 + 2**19, "3.5 MB")],
)
def test_admit_refuses_a_file_too_large_with_its_size(size: int, said: str) -> None:
    limits = Limits(max_bytes=3 * 2**20)
    with pytest.raises(DocumentTooLargeError) as refused:
        admit("big.pdf", "application/pdf", size, limits)
    assert str(refused.value) == f"big.pdf is {said}; I accept files up to 3 MB."


def test_a_small_limit_says_the_size_in_kilobytes() -> None:
    with pytest.raises(DocumentTooLargeError, match=r"^a\.txt is 2\.0 KB; I accept files up to"):
        admit("a.txt", None, 2048, Limits(max_bytes=1024))


def test_the_unsupported_format_is_refused_before_the_size() -> None:
    with pytest.raises(UnsupportedFormatError):
        admit("setup.exe", None, 0)


def test_the_real_size_is_checked_again_when_the_file_is_read(tmp_path: Path) -> None:
    admitted = admit("said-small.txt", None, 10, Limits(max_bytes=100))
    path = write(tmp_path, "said-small.txt", b"x" * 200)
    with pytest.raises(DocumentTooLargeError, match=r"said-small\.txt is 0\.2 KB"):
        extract(path, admitted, limits=Limits(max_bytes=100))


def test_empty_file_and_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(NoTextError, match="empty"):
        extract(write(tmp_path, "e.txt", b""), admit("e.txt", None, None))
    with pytest.raises(UnsupportedFormatError, match=r"can't read \.exe files; send PDF, DOCX"):
        detect_format("setup.exe")
    assert detect_format("noext", "application/pdf") == "pdf"


def test_a_file_without_text_is_read_as_no_sections(tmp_path: Path) -> None:
    """Whether a document has text is decided once, when it is learned (`Library`)."""
    document = extract(write(tmp_path, "blank.txt", b" \n\t\n "), admit("blank.txt", None, None))
    assert not any(section.text.strip() for section in document.sections)
