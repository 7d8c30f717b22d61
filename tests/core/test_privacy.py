"""Forgetting a user: every row about them goes, the text leaves the database file and its
write-ahead log, and other people's data stays."""

from __future__ import annotations

from pathlib import Path

from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.privacy import Privacy
from tgtrainer.core.quotas import Limits, Quotas
from tgtrainer.core.teaching import Teaching
from tgtrainer.knowledge.library import Library
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.access import AccessStore
from tgtrainer.storage.erasure import ErasureStore
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.storage.usage import UsageStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder
from tgtrainer.testing.scripted_model import ScriptedChatModel

ANN, BOB = UserRef(11, "Ann"), UserRef(12, "Bob")
ANN_CHAT, BOB_CHAT = ChatRef(11, "private"), ChatRef(12, "private")
GROUP = ChatRef(-50, "group", "Team")
ANN_SAYS = ["zebracorn-secret-one", "zebracorn secret two in the group"]
ANN_TEACHES = "The zebracorn vault code is kept behind the blue painting."


def file_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as on disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def wal_size(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


async def test_forget_user_deletes_every_row_and_leaves_no_text_in_the_files(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, admin_user_ids="99")
    database = Database(settings.database_path)
    library = Library(settings, KnowledgeStore(database), HashingEmbedder())
    access = AccessPolicy.from_settings(settings, AccessStore(database))
    quotas = Quotas(Limits(), UsageStore(database), access)
    answer_log = AnswerLogStore(database)
    assistant = Assistant(
        settings,
        ConversationStore(database),
        ScriptedChatModel(lambda messages: f"echo {messages[-1].content}"),
        answer_log=answer_log,
        quotas=quotas,
    )
    teaching = Teaching(
        library, access, PendingTeachStore(database), LastSourcesStore(database), quotas=quotas
    )
    assert access.request(ANN) == "sent"
    for number, (chat, user, text) in enumerate(
        [
            (ANN_CHAT, ANN, ANN_SAYS[0]),
            (GROUP, ANN, ANN_SAYS[1]),
            (GROUP, BOB, "bob speaks after ann"),
            (BOB_CHAT, BOB, "bob alone"),
        ],
        start=1,
    ):
        turn = assistant.begin_turn(chat, user, text, number)
        assert turn is not None
        _ = [piece async for piece in turn.stream()]
        turn.finish([number + 100])
    answer = answer_log.last(BOB_CHAT.id)
    assert answer is not None
    answer_log.rate(answer.message_id, 1, ANN.id)
    await teaching.teach(ANN_CHAT, ANN, ANN_TEACHES)
    await teaching.teach(ANN_CHAT, ANN, "")  # a /teach waiting for its text
    assert await library.search("zebracorn vault", ["user:11"])

    report = await Privacy(ErasureStore(database), library).forget_user(ANN.id)

    assert report.documents == 1 and report.passages >= 1
    # Ann's two messages, the two answers to them, and Bob's group answer that quoted her.
    assert report.rows.messages == 4 and report.rows.conversations == 1
    assert report.rows.answer_records == 3 and report.rows.ratings == 1
    assert report.rows.access_records == 1 and report.rows.pending_teach == 1
    assert report.rows.usage_days == 1
    assert "4 messages" in report.summary() and "1 document" in report.summary()
    assert not ErasureStore(database).has_user(ANN.id)
    assert await library.search("zebracorn vault", ["user:11"]) == [], "the in-memory index too"
    assert wal_size(settings.database_path) == 0
    stored = file_bytes(settings.database_path)
    for text in [*ANN_SAYS, ANN_TEACHES, "zebracorn", "blue painting"]:
        assert text.encode() not in stored, text
    assert b"bob alone" in stored, "other people's data stays"
    assert [m.text.strip() for m in ConversationStore(database).history(BOB_CHAT.id)] == [
        "bob alone",
        "echo bob alone",
    ]
    database.close()
