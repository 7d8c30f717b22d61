"""The conversation store: what is kept, in which conversation, once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.migrations import MIGRATIONS


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore(Database(tmp_path / "db.sqlite3"))
    store.upsert_chat(1, "private", None)
    store.upsert_user(1, "Ann", "ann", "en")
    return store


def test_a_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    first = Database(tmp_path / "db.sqlite3")
    assert first.applied_migrations == [name for name, _ in MIGRATIONS]
    first.close()
    again = Database(tmp_path / "db.sqlite3")
    assert again.applied_migrations == []
    mode = again.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_history_is_the_current_conversation_in_order(store: ConversationStore) -> None:
    asked = store.record_user_message(1, 1, "hello", telegram_message_id=10)
    store.record_reply(1, asked.id, "hi there", [11])
    store.record_user_message(1, 1, "how are you?", telegram_message_id=12)
    assert [(m.role, m.text) for m in store.history(1)] == [
        ("user", "hello"),
        ("assistant", "hi there"),
        ("user", "how are you?"),
    ]


def test_reset_starts_an_empty_conversation_and_keeps_old_rows(
    store: ConversationStore,
) -> None:
    store.record_user_message(1, 1, "old", telegram_message_id=1)
    store.start_new_conversation(1)
    assert store.history(1) == []
    store.record_user_message(1, 1, "new", telegram_message_id=2)
    assert [m.text for m in store.history(1)] == ["new"]
    count = store._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert count == 2


def test_a_redelivered_message_is_stored_once_and_known_answered(
    store: ConversationStore,
) -> None:
    first = store.record_user_message(1, 1, "hello", telegram_message_id=10)
    assert not first.answered
    again = store.record_user_message(1, 1, "hello", telegram_message_id=10)
    assert again.id == first.id and not again.answered
    store.record_reply(1, first.id, "hi", [11, 12])
    assert store.record_user_message(1, 1, "hello", telegram_message_id=10).answered
    assert len(store.history(1)) == 2


def test_whether_a_message_was_answered_is_known_without_storing_it_again(
    store: ConversationStore,
) -> None:
    assert not store.is_answered(1, 10), "an unknown message"
    question = store.record_user_message(1, 1, "hello", telegram_message_id=10)
    assert not store.is_answered(1, 10), "stored but not answered yet"
    store.record_reply(1, question.id, "hi", [11])
    assert store.is_answered(1, 10)
    assert not store.is_answered(2, 10), "the same message id in another chat"
    assert len(store.history(1)) == 2


def test_a_message_gets_one_reply_at_most(store: ConversationStore) -> None:
    asked = store.record_user_message(1, 1, "hello", telegram_message_id=10)
    store.record_reply(1, asked.id, "hi", [11])
    with pytest.raises(sqlite3.IntegrityError):
        store.record_reply(1, asked.id, "hi again", [12])


def test_chats_do_not_share_history(store: ConversationStore) -> None:
    store.upsert_chat(2, "private", None)
    store.upsert_user(2, "Bob", None, None)
    store.record_user_message(1, 1, "ann's secret", telegram_message_id=1)
    store.record_user_message(2, 2, "bob's question", telegram_message_id=1)
    assert [m.text for m in store.history(2)] == ["bob's question"]


def test_chat_settings_default_to_none_and_can_be_set_and_cleared(store: ConversationStore) -> None:
    assert store.settings(1).system_prompt is None and store.settings(1).model is None
    store.set_system_prompt(1, "Be brief.")
    store.set_model(1, "gpt-x")
    assert store.settings(1).system_prompt == "Be brief."
    assert store.settings(1).model == "gpt-x"
    store.set_system_prompt(1, None)
    assert store.settings(1).system_prompt is None
    assert store.settings(1).model == "gpt-x"


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with Database(path) as database:
        store = ConversationStore(database)
        store.upsert_chat(5, "group", "Team")
        store.upsert_user(7, "Eve", None, None)
        store.record_user_message(5, 7, "remember me", telegram_message_id=3)
    with Database(path) as database:
        assert [m.text for m in ConversationStore(database).history(5)] == ["remember me"]
