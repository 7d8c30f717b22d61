"""The bundled chat model: its six packages join into the published GGUF, which the bot runs
as a Q8_0 copy made once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tgtrainer import weights
from tgtrainer.llm import q8_copy
from tgtrainer.llm.weights import (
    BUNDLED_FILE_NAME,
    BUNDLED_MODEL_NAME,
    BUNDLED_SHA256,
    bundled_model_path,
    published_model_path,
)
from tgtrainer.weights import file_sha256


@pytest.mark.local_model
def test_the_installed_parts_join_into_the_published_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = published_model_path(tmp_path)
    assert path.name == BUNDLED_FILE_NAME
    assert file_sha256(path) == BUNDLED_SHA256
    assert path.read_bytes()[:4] == b"GGUF"

    def no_rehash(_: Path) -> str:
        raise AssertionError("the verified file was hashed again")

    monkeypatch.setattr(weights, "file_sha256", no_rehash)
    assert published_model_path(tmp_path) == path, "the stamp spares the second hash"


@pytest.mark.local_model
def test_the_bot_runs_a_q8_0_copy_made_once_outside_the_model_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = pytest.importorskip("gguf", reason="the train extra is not installed")

    run = bundled_model_path(tmp_path)
    assert run.parent != published_model_path(tmp_path).parent, "/model lists only models/*.gguf"
    assert sorted(p.name for p in (tmp_path / "models").glob("*.gguf")) == [BUNDLED_FILE_NAME]
    assert BUNDLED_MODEL_NAME in run.name
    reader = gguf.GGUFReader(run)
    field = reader.get_field("general.file_type")
    assert field is not None and field.contents() == gguf.LlamaFileType.MOSTLY_Q8_0
    matrices = [t for t in reader.tensors if len(t.shape) == 2]
    assert matrices and all(t.tensor_type.name == "Q8_0" for t in matrices)

    def no_second_copy(*_: object, **__: object) -> int:
        raise AssertionError("the copy was made again")

    monkeypatch.setattr("llama_cpp.llama_model_quantize", no_second_copy)
    assert bundled_model_path(tmp_path) == run


@pytest.mark.local_model
def test_a_published_file_written_again_is_copied_again(tmp_path: Path) -> None:
    run = bundled_model_path(tmp_path)
    joined = published_model_path(tmp_path).stat().st_mtime_ns
    older = joined - 10**9
    os.utime(run, ns=(older, older))  # as if the published file had been joined again since
    assert bundled_model_path(tmp_path) == run
    assert run.stat().st_mtime_ns >= joined, "the copy was not made again"


def test_without_a_copy_the_published_file_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    published = tmp_path / "models" / BUNDLED_FILE_NAME

    def copy_fails(source: Path, target: Path) -> Path:
        assert source == published
        raise q8_copy.Q8CopyError("llama.cpp could not re-quantise it (status 1)")

    monkeypatch.setattr("tgtrainer.llm.weights.published_model_path", lambda _: published)
    monkeypatch.setattr("tgtrainer.llm.weights.q8_0_copy", copy_fails)
    assert bundled_model_path(tmp_path) == published
    assert "running the published model file" in caplog.text


def test_a_failed_copy_leaves_no_file(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    source = tmp_path / "damaged.gguf"
    source.write_bytes(b"GGUF" + b"\0" * 64)
    target = tmp_path / "cpu" / "damaged.q8_0.gguf"
    with pytest.raises(q8_copy.Q8CopyError, match=r"could not re-quantise damaged\.gguf"):
        q8_copy.q8_0_copy(source, target)
    assert list(target.parent.iterdir()) == []
