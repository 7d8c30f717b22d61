"""Daily quotas: checked before the work, counted after it, reset at UTC midnight; admins exempt."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.quotas import Limits, QuotaExceededError, Quotas, until_reset
from tgtrainer.core.teaching import Teaching, Upload
from tgtrainer.knowledge.library import Library
from tgtrainer.llm import ChatMessage
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.storage.usage import UsageStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder
from tgtrainer.testing.scripted_model import ScriptedChatModel

ANN, ADMIN = UserRef(1, "Ann"), UserRef(9, "Root")
ANN_CHAT = ChatRef(1, "private")
NOON = datetime(2030, 5, 17, 13, 40, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "usage.sqlite3") as database:
        yield database


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


def quotas_over(database: Database, clock: Clock, **limits: float) -> Quotas:
    access = AccessPolicy(admins=[ADMIN.id])
    return Quotas(Limits(**limits), UsageStore(database), access, lambda user: 0, clock)  # type: ignore[arg-type]


def test_the_sentence_names_the_limit_and_the_next_utc_midnight() -> None:
    assert until_reset(NOON) == "in 10 h 20 min"


def test_messages_over_the_limit_are_refused_until_the_next_utc_day(
    database: Database, clock: Clock
) -> None:
    quotas = quotas_over(database, clock, messages=2)
    for _ in range(2):
        quotas.check_message(ANN.id)
        quotas.count_message(ANN.id)
    with pytest.raises(QuotaExceededError) as refused:
        quotas.check_message(ANN.id)
    assert str(refused.value) == (
        "You have reached your daily limit of 2 messages; it resets at midnight UTC, "
        "in 10 h 20 min."
    )
    quotas.check_message(ADMIN.id)  # admins are exempt
    clock.now += 11 * 3600  # the next UTC day
    quotas.check_message(ANN.id)


def test_admins_count_when_configured_and_zero_means_unlimited(
    database: Database, clock: Clock
) -> None:
    quotas = quotas_over(database, clock, messages=1, for_admins=True)
    quotas.count_message(ADMIN.id)
    with pytest.raises(QuotaExceededError):
        quotas.check_message(ADMIN.id)
    unlimited = quotas_over(database, clock)
    for _ in range(50):
        unlimited.count_message(ANN.id)
    unlimited.check_message(ANN.id)


def test_tokens_voice_documents_and_storage_each_have_their_sentence(
    database: Database, clock: Clock
) -> None:
    quotas = quotas_over(database, clock, tokens=100, voice_minutes=1, documents=1, storage_mb=1)
    quotas.count_tokens(ANN.id, 100)
    with pytest.raises(QuotaExceededError, match="100 model tokens"):
        quotas.check_message(ANN.id)
    other = UserRef(2, "Bob")
    with pytest.raises(QuotaExceededError, match="1 minutes of voice"):
        quotas.check_voice(other.id, 61)
    quotas.check_voice(other.id, 50)
    quotas.count_voice(other.id, 50)
    with pytest.raises(QuotaExceededError, match=r"0\.2 left"):
        quotas.check_voice(other.id, 20)
    with pytest.raises(QuotaExceededError, match="storage limit of 1 MB"):
        quotas.check_document(other.id, 2 * 2**20)
    quotas.count_document(other.id, 100)
    with pytest.raises(QuotaExceededError, match="daily limit of 1 documents"):
        quotas.check_document(other.id, 10)
    report = {line.name: (line.used, line.limit) for line in quotas.report(other.id)}
    assert report["Voice"] == ("0.8 min", "1 min")
    assert report["Documents"] == ("1", "1")
    assert quotas.totals_today()[0] == 2


def echo(messages: Sequence[ChatMessage]) -> str:
    return f"echo {messages[-1].content}"


async def test_the_assistant_checks_before_storing_and_counts_the_models_tokens(
    tmp_path: Path, database: Database, clock: Clock
) -> None:
    model = ScriptedChatModel(echo)
    quotas = quotas_over(database, clock, messages=1)
    assistant = Assistant(
        Settings(data_dir=tmp_path), ConversationStore(database), model, quotas=quotas
    )
    turn = assistant.begin_turn(ANN_CHAT, ANN, "hello there", 1)
    assert turn is not None
    _ = [piece async for piece in turn.stream()]
    turn.finish([100])
    used = quotas.today(ANN.id)
    expected = sum(model.count_tokens(m.content) for m in turn.prompt) + model.count_tokens(
        turn.text
    )
    assert used.messages == 1 and used.tokens == expected > 0
    with pytest.raises(QuotaExceededError):
        assistant.begin_turn(ANN_CHAT, ANN, "one more", 2)
    assert len(ConversationStore(database).history(ANN_CHAT.id)) == 2, "the refused one is not kept"


async def test_teaching_checks_the_document_quota_before_the_download(
    database: Database, clock: Clock
) -> None:
    library = Library(Settings(), KnowledgeStore(database), HashingEmbedder())
    quotas = quotas_over(database, clock, documents=1)
    teaching = Teaching(
        library,
        AccessPolicy(admins=[ADMIN.id]),
        PendingTeachStore(database),
        LastSourcesStore(database),
        quotas=quotas,
    )
    await teaching.teach(ANN_CHAT, ANN, "The office opens at nine every weekday.")
    assert quotas.today(ANN.id).documents == 1
    with pytest.raises(QuotaExceededError):
        teaching.admit_upload(ANN_CHAT, ANN, Upload("notes.txt", "text/plain", 100), "bot")
