"""`tgtrainer users` and the access lines of `tgtrainer config`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import run_cli
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.access import AccessStore
from tgtrainer.storage.erasure import ErasureStore


def test_users_delete_removes_everything_about_the_user(tmp_path: Path) -> None:
    with Database(tmp_path / "tgtrainer.sqlite3") as database:
        store = ConversationStore(database)
        store.upsert_chat(5, "private", None)
        store.upsert_user(5, "Eve", None, None)
        store.record_user_message(5, 5, "eve-was-here-text", 1)
        AccessStore(database).request(5, "Eve", None)
    result = run_cli(tmp_path, "users", "delete", "5", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Deleted everything I kept about user 5: 1 message" in result.stdout
    with Database(tmp_path / "tgtrainer.sqlite3") as database:
        assert not ErasureStore(database).has_user(5)
    assert b"eve-was-here-text" not in (tmp_path / "tgtrainer.sqlite3").read_bytes()
    listed = run_cli(tmp_path, "users", "list")
    assert "Nobody has an access record yet." in listed.stdout


def test_config_shows_the_pairing_code_the_bot_accepts(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "config")
    assert "pairing code when it first starts" in result.stdout
    assert not (tmp_path / "tgtrainer.sqlite3").exists(), "config creates no database"
    Database(tmp_path / "tgtrainer.sqlite3").close()
    first = re.findall(r"send /start (\w+)", run_cli(tmp_path, "config").stdout)
    again = re.findall(r"send /start (\w+)", run_cli(tmp_path, "config").stdout)
    assert first and first == again
    assert "OPEN to everyone" in run_cli(tmp_path, "config", OPEN_ACCESS="true").stdout
