"""CSV rows and JSON values become lines of named fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.knowledge.extract.files import all_text, write
from tgtrainer.knowledge.errors import UnreadableDocumentError


def test_csv_rows_become_named_fields(tmp_path: Path) -> None:
    data = b"city,population\nOslo,700000\nBergen,285000\n"
    text = all_text(write(tmp_path, "c.csv", data))
    assert "city: Bergen; population: 285000" in text


def test_json_is_flattened_to_paths(tmp_path: Path) -> None:
    data = json.dumps({"server": {"port": 8080, "hosts": ["a", "b"]}}).encode()
    text = all_text(write(tmp_path, "c.json", data))
    assert "server.port: 8080" in text and "server.hosts[1]: b" in text


def test_invalid_json_says_so(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="not valid JSON"):
        all_text(write(tmp_path, "c.json", b'{"open": '))
