"""The bundled chat model: its six packages join into the published GGUF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgtrainer import weights
from tgtrainer.llm.weights import BUNDLED_FILE_NAME, BUNDLED_SHA256, bundled_model_path
from tgtrainer.weights import file_sha256


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
