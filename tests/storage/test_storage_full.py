"""A full disk and the `DATABASE_MAX_MB` cap: one `StorageFullError`, nothing half kept, reads
go on."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from tgtrainer.errors import UserFacingError
from tgtrainer.storage import ConversationStore, Database, StorageFullError
from tgtrainer.storage.full import as_storage_full

LONG = "x" * 4000


def _fill(store: ConversationStore) -> int:
    """Keep long messages until the storage refuses one; how many were kept."""
    for kept in range(10_000):
        try:
            store.record_user_message(1, 1, f"{kept} {LONG}", telegram_message_id=kept)
        except StorageFullError:
            return kept
    raise AssertionError("the cap never stopped a write")


def test_the_cap_refuses_writes_as_a_full_disk_and_keeps_the_file_sound(tmp_path: Path) -> None:
    database = Database(tmp_path / "db.sqlite3", max_mb=1)
    store = ConversationStore(database)
    store.upsert_chat(1, "private", None)
    store.upsert_user(1, "Ann", "ann", "en")
    kept = _fill(store)
    assert kept > 10
    assert (tmp_path / "db.sqlite3").stat().st_size <= 2**20
    assert len(store.history(1, limit=10_000)) == kept  # reads still work, nothing half kept
    assert database.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    database.close()

    database = Database(tmp_path / "db.sqlite3", max_mb=2)  # the owner raised the cap
    store = ConversationStore(database)
    store.record_user_message(1, 1, LONG, telegram_message_id=-1)
    database.close()


def test_the_error_says_so_to_the_user_and_alerts_the_operator(tmp_path: Path) -> None:
    database = Database(tmp_path / "db.sqlite3", max_mb=1)
    store = ConversationStore(database)
    store.upsert_chat(1, "private", None)
    store.upsert_user(1, "Ann", "ann", "en")
    _fill(store)
    with pytest.raises(StorageFullError) as raised:
        store.record_user_message(1, 1, LONG, telegram_message_id=-1)
    error = raised.value
    assert isinstance(error, UserFacingError) and error.operator_alert
    assert str(error).startswith("My storage is full, so I could not keep this.")
    assert isinstance(error.__cause__, sqlite3.OperationalError)
    assert "SQLITE_FULL" in error.detail
    database.close()


def test_no_cap_by_default_and_other_sqlite_errors_stay_what_they_are(tmp_path: Path) -> None:
    database = Database(tmp_path / "db.sqlite3")
    limit = database.connection.execute("PRAGMA max_page_count").fetchone()[0]
    assert limit >= 2**30 - 1  # SQLite's own default
    with pytest.raises(sqlite3.OperationalError) as raised:
        database.connection.execute("SELECT * FROM no_such_table")
    assert raised.value.__cause__ is None
    database.close()


def test_no_space_left_on_device_becomes_the_same_sentence() -> None:
    disk_full = OSError(errno.ENOSPC, "No space left on device")
    told = as_storage_full(disk_full)
    assert isinstance(told, StorageFullError) and told.__cause__ is disk_full
    other = OSError(errno.EACCES, "Permission denied")
    assert as_storage_full(other) is other
    assert as_storage_full(None) is None
