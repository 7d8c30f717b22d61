"""ZIP archives of documents: their files listed, one unpacked at a time within the limits."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.support.documents import make_zip_bomb
from tgtrainer.knowledge.errors import DocumentTooLargeError, UnreadableDocumentError
from tgtrainer.knowledge.extract import Limits, archive


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_an_archive_is_known_by_its_suffix_or_its_mime_type() -> None:
    assert archive.is_archive("Docs.ZIP", None)
    assert archive.is_archive("docs", "application/zip")
    assert not archive.is_archive("book.epub", "application/epub+zip")


def test_the_files_of_an_archive_leave_out_folders_and_hidden_files(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "a.zip",
        {"a.txt": b"a", "dir/": b"", "dir/b.md": b"bb", "__MACOSX/._a.txt": b"x", ".DS_Store": b""},
    )
    found = archive.members(path, Limits())
    assert found == [archive.Member("a.txt", 1), archive.Member("dir/b.md", 2)]


def test_a_file_is_unpacked_and_one_too_large_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", {"small.txt": b"hello", "big.txt": b"x" * 5000})
    small, big = archive.members(path, Limits())
    archive.unpack(path, small, tmp_path / "small", Limits())
    assert (tmp_path / "small").read_bytes() == b"hello"
    with pytest.raises(DocumentTooLargeError, match=r"big\.txt unpacks to more than"):
        archive.unpack(path, big, tmp_path / "big", Limits(max_bytes=1000))
    assert not (tmp_path / "big").exists()


def test_an_archive_that_unpacks_too_far_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    path.write_bytes(make_zip_bomb("notes.txt", unpacked_mb=20))
    with pytest.raises(DocumentTooLargeError, match="ZIP archive unpacks to 20 MB"):
        archive.members(path, Limits(max_unpacked_bytes=5 * 2**20))


def test_a_damaged_member_is_unreadable(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", {"a.txt": b"hello world " * 100})
    data = bytearray(path.read_bytes())
    data[36:42] = b"\xff" * 6  # inside the compressed data, after the 35-byte local header
    path.write_bytes(bytes(data))
    [member] = archive.members(path, Limits())
    with pytest.raises(UnreadableDocumentError, match="could not be unpacked"):
        archive.unpack(path, member, tmp_path / "out", Limits())
