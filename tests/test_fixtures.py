"""The shared JFK recording is read from ../shared/fixtures only, and a bad copy fails loudly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tgtrainer.testing import media


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    media.jfk_recording.cache_clear()
    yield
    media.jfk_recording.cache_clear()


def test_the_shared_recording_is_the_one_its_readme_describes() -> None:
    assert media.JFK_FLAC.parts[-4:] == ("shared", "fixtures", "audio", "jfk.flac")
    assert media.JFK_FLAC.parent.parent.parent.parent == media.PROJECT_ROOT.parent
    assert len(media.jfk_recording()) == 196_348


def test_a_missing_recording_fails_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media, "JFK_FLAC", tmp_path / "jfk.flac")
    with pytest.raises(media.FixtureError, match=r"jfk\.flac is missing"):
        media.jfk_recording()


def test_a_damaged_recording_fails_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "jfk.flac"
    damaged.write_bytes(media.JFK_FLAC.read_bytes().replace(b"\x00", b"\xef\xbf\xbd", 1))
    monkeypatch.setattr(media, "JFK_FLAC", damaged)
    with pytest.raises(media.FixtureError, match=r"jfk\.flac is damaged: its sha256 is"):
        media.jfk_recording()
