"""What a restart answers and reports (`core.recovery`), on a real database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.recovery import INTERRUPTED, Recovery
from tgtrainer.core.types import ChatRef
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.work import WorkStore


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "db.sqlite3")


def _recovery(
    database: Database, window: float = 900, allowed: frozenset[int] = frozenset()
) -> Recovery:
    return Recovery(
        ConversationStore(database),
        WorkStore(database),
        AccessPolicy(allowed, frozenset(), open_access=not allowed),  # no list: everyone
        window_seconds=window,
    )


def test_unanswered_messages_in_the_window_are_found_in_order_per_chat(database: Database) -> None:
    store = ConversationStore(database)
    for chat in (1, 2):
        store.upsert_chat(chat, "private", None)
        store.upsert_user(chat, "Ann", None, "en")
    answered = store.record_user_message(1, 1, "answered", 10)
    store.record_reply(1, answered.id, "yes", [11])
    store.record_user_message(1, 1, "first", 12)
    shown = store.record_user_message(1, 1, "second", 13)
    store.add_reply_part(shown.id, 14)
    told = store.record_user_message(2, 2, "told an error", 20)
    store.close(told.id)
    store.record_user_message(2, 2, "taught text", 21)
    store.discard_unanswered(2, 21)
    store.record_user_message(2, 2, "before /reset", 22)
    store.start_new_conversation(2)
    store.record_user_message(2, 2, "after /reset", 23)

    found = _recovery(database).unanswered()
    assert {chat: [q.text for q in questions] for chat, questions in found.items()} == {
        1: ["first", "second"],
        2: ["after /reset"],
    }
    assert [q.shown for q in found[1]] == [(), (14,)]
    assert store.is_answered(2, 20) and store.record_user_message(2, 2, "again", 20).answered
    assert _recovery(database, window=0).unanswered() == {}
    assert _recovery(database, allowed=frozenset({2})).unanswered().keys() == {2}


def test_old_messages_are_left(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConversationStore(database)
    store.upsert_chat(1, "private", None)
    store.upsert_user(1, "Ann", None, None)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 3600)
    store.record_user_message(1, 1, "an hour ago", 10)
    monkeypatch.setattr(time, "time", lambda: now)
    assert _recovery(database).unanswered() == {}


def test_interrupted_work_is_reported_once(database: Database) -> None:
    recovery = _recovery(database)
    with recovery.working(ChatRef(1, "private"), "document", "done.txt", 5, 6):
        pass
    with pytest.raises(KeyboardInterrupt), recovery.working(ChatRef(1, "private"), "voice", "v", 7):
        raise KeyboardInterrupt  # finished or failed: not interrupted
    WorkStore(database).start(1, "document", "notes.txt", 8, 9)  # as a crash leaves it
    [work] = recovery.interrupted()
    assert (work.chat_id, work.message_id, work.status_message_id) == (1, 8, 9)
    assert work.sentence == INTERRUPTED["document"].format(name="notes.txt")
    assert recovery.interrupted() == []
