"""Per-chat voice settings: defaults until changed, each change kept on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgtrainer.storage import Database
from tgtrainer.storage.voice_settings import VoiceSettings, VoiceSettingsStore


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "db.sqlite3")


def test_the_voice_migration_is_applied(database: Database) -> None:
    assert "m003_voice" in [
        row[0] for row in database.connection.execute("SELECT name FROM schema_migrations")
    ]


def test_a_chat_without_settings_has_the_defaults(database: Database) -> None:
    assert VoiceSettingsStore(database).get(42) == VoiceSettings("spoken", None, True)


def test_each_setting_changes_alone_and_survives_reopening(tmp_path: Path) -> None:
    store = VoiceSettingsStore(Database(tmp_path / "db.sqlite3"))
    store.set_reply_mode(1, "always")
    store.set_language(1, "ru")
    store.set_show_transcript(2, False)
    store.set_reply_mode(1, "off")
    reopened = VoiceSettingsStore(Database(tmp_path / "db.sqlite3"))
    assert reopened.get(1) == VoiceSettings("off", "ru", True)
    assert reopened.get(2) == VoiceSettings("spoken", None, False)
    reopened.set_language(1, None)
    assert reopened.get(1).language is None


def test_an_unknown_reply_mode_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="reply mode"):
        VoiceSettingsStore(database).set_reply_mode(1, "loud")  # type: ignore[arg-type]
