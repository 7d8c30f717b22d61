"""Migrations: applied in order from a blank database, and an old database upgraded intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tgtrainer.storage import ConversationStore, Database, migrations
from tgtrainer.storage.conversations import ChatSettings
from tgtrainer.storage.knowledge import Chunk, KnowledgeStore
from tgtrainer.storage.voice_settings import VoiceSettings, VoiceSettingsStore

FIRST = "m001_conversations"
LATER_TABLES = {
    "kb_documents",
    "kb_chunks",
    "kb_last_sources",
    "voice_settings",
    "kb_teaching_awaited",
    "answer_log",
    "closed_messages",
    "reply_parts",
    "work_in_progress",
    "finetune_jobs",
    "access_grants",
    "access_pairing",
    "usage_daily",
    "message_pictures",
    "training_jobs",
}
"""Tables the migrations after the first one make."""


def _names() -> list[str]:
    return [name for name, _ in migrations.MIGRATIONS]


def _recorded(database: Database) -> list[str]:
    rows = database.connection.execute("SELECT name FROM schema_migrations ORDER BY rowid")
    return [row[0] for row in rows]


def _tables(database: Database) -> set[str]:
    rows = database.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def _first_version(path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A database as the first schema version made it: only the first migration applied."""
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        database = Database(path)
    assert database.applied_migrations == [FIRST]
    return database


def test_migrations_are_defined_in_the_order_of_their_names() -> None:
    names = _names()
    assert names[0] == FIRST
    assert names == sorted(names)
    assert len(set(names)) == len(names)


def test_the_names_databases_recorded_are_kept() -> None:
    assert _names()[:4] == [
        "m001_conversations",
        "m002_knowledge",
        "m003_voice",
        "m004_teaching_awaited",
    ]


def test_a_blank_database_gets_every_migration_once_in_order(tmp_path: Path) -> None:
    database = Database(tmp_path / "db.sqlite3")
    assert database.applied_migrations == _names()
    assert _recorded(database) == _names()
    assert _tables(database) >= LATER_TABLES
    database.close()
    again = Database(tmp_path / "db.sqlite3")
    assert again.applied_migrations == []
    assert _recorded(again) == _names()


def test_a_first_version_database_upgrades_without_losing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite3"
    old = _first_version(path, monkeypatch)
    assert not LATER_TABLES & _tables(old)
    store = ConversationStore(old)
    store.upsert_chat(1, "private", None)
    store.upsert_chat(-100, "supergroup", "Team")
    store.upsert_user(7, "Ann", "ann", "en")
    store.upsert_user(8, "Bob", None, None)
    earlier = store.record_user_message(1, 7, "an older conversation", telegram_message_id=1)
    store.record_reply(1, earlier.id, "left behind by /reset", [2])
    store.start_new_conversation(1)
    asked = store.record_user_message(1, 7, "hello", telegram_message_id=3)
    store.record_reply(1, asked.id, "hi there", [4, 5])
    store.record_user_message(-100, 8, "hi all", telegram_message_id=40)
    store.set_system_prompt(1, "Answer briefly.")
    store.set_model(-100, "small")
    before = {
        table: old.connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("chats", "users", "messages", "chat_settings")
    }
    old.close()

    upgraded = Database(path)
    assert upgraded.applied_migrations == _names()[1:]
    assert _recorded(upgraded) == _names()
    for table, rows in before.items():
        now = upgraded.connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        assert [tuple(row) for row in now] == [tuple(row) for row in rows], table
    store = ConversationStore(upgraded)
    assert [(m.role, m.text) for m in store.history(1)] == [
        ("user", "hello"),
        ("assistant", "hi there"),
    ]
    assert [m.text for m in store.history(-100)] == ["hi all"]
    assert store.is_answered(1, 3)
    assert not store.is_answered(-100, 40)
    assert store.settings(1) == ChatSettings(system_prompt="Answer briefly.")
    assert store.settings(-100) == ChatSettings(model="small")

    # the tables the later migrations made work on the upgraded database
    voice = VoiceSettingsStore(upgraded)
    assert voice.get(1) == VoiceSettings()
    voice.set_reply_mode(1, "always")
    assert voice.get(1).reply_mode == "always"
    knowledge = KnowledgeStore(upgraded)
    info, ids, removed = knowledge.save_document(
        scope="chat:1",
        name="notes.txt",
        content_hash="abc",
        size=12,
        pages=None,
        first_heading=None,
        embedder="test",
        chunks=[Chunk("the kettle is in the kitchen")],
        vectors=np.ones((1, 4), dtype=np.float32) / 2,
    )
    assert removed == [] and len(ids) == 1
    assert knowledge.documents(["chat:1"]) == [info]
    assert [chunk_id for chunk_id, _ in knowledge.lexical_search_any_scope("kettle", 5)] == ids
    assert _tables(upgraded) >= LATER_TABLES
    upgraded.close()


def test_a_database_that_recorded_voice_before_knowledge_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before issue 9, m003_voice was defined (and so applied) before m002_knowledge."""
    path = tmp_path / "db.sqlite3"
    by_name = dict(migrations.MIGRATIONS)
    old_order = [(name, by_name[name]) for name in (FIRST, "m003_voice", "m002_knowledge")]
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", old_order)
        Database(path).close()
    upgraded = Database(path)
    assert upgraded.applied_migrations == _names()[3:]
    assert sorted(_recorded(upgraded)) == _names()
    assert _tables(upgraded) >= LATER_TABLES
    upgraded.close()


def test_a_failing_migration_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO no_such_table VALUES (1)")

    path = tmp_path / "db.sqlite3"
    Database(path).close()
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999", broken)])
    with pytest.raises(sqlite3.OperationalError):
        Database(path)
    monkeypatch.undo()
    assert "m999" not in _recorded(Database(path))
