"""The rules of teaching, one by one: where a thing is learned, who may teach the global
collection, which group files are meant for the bot, the waiting /teach, who may forget what,
and the sources of the last answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.teaching import (
    AdminOnlyError,
    Teaching,
    Upload,
    caption_question,
    note_name,
)
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.errors import DocumentTooLargeError, UnsupportedFormatError
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import GLOBAL_SCOPE, chat_scope, user_scope
from tgtrainer.llm import ChatMessage
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder
from tgtrainer.testing.scripted_model import ScriptedChatModel

BOT = "tgtrainer_bot"
ANN, BOB, ADMIN = UserRef(1, "Ann"), UserRef(2, "Bob"), UserRef(9, "Root")
ANN_CHAT, BOB_CHAT, ADMIN_CHAT = ChatRef(1, "private"), ChatRef(2, "private"), ChatRef(9, "private")
GROUP = ChatRef(-5, "group", "Team")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "kb.sqlite3") as database:
        yield database


@pytest.fixture
def library(database: Database) -> Library:
    return Library(Settings(max_document_mb=1), KnowledgeStore(database), HashingEmbedder())


def teaching_over(database: Database, library: Library, **options: float) -> Teaching:
    return Teaching(
        library,
        AccessPolicy(admins=[ADMIN.id]),
        PendingTeachStore(database),
        LastSourcesStore(database),
        **options,
    )


@pytest.fixture
def teaching(database: Database, library: Library) -> Teaching:
    return teaching_over(database, library)


def names(teaching: Teaching, chat: ChatRef, user: UserRef) -> list[str]:
    return [entry.document.name for entry in teaching.documents(chat, user)]


# -- where a thing is learned ------------------------------------------------------------------


async def test_private_teaching_is_the_users_and_group_teaching_the_groups(
    teaching: Teaching,
) -> None:
    mine = await teaching.teach(ANN_CHAT, ANN, "Ann's bike is in shed 4.")
    ours = await teaching.teach(GROUP, BOB, "The team meets on Mondays.")
    assert mine is not None and mine.document.scope == user_scope(ANN.id)
    assert ours is not None and ours.document.scope == chat_scope(GROUP.id)
    assert names(teaching, ANN_CHAT, ANN) == ["note: Ann's bike is in shed 4."]
    assert names(teaching, BOB_CHAT, BOB) == []  # Ann's private notes are hers alone
    assert names(teaching, GROUP, ANN) == ["note: The team meets on Mondays."]


def test_a_taught_text_is_named_by_its_first_words() -> None:
    assert note_name("The office wifi password is heron-4452, ask Ann.") == (
        "note: The office wifi password is heron-4452,"
    )
    assert note_name("x" * 100) == "note: " + "x" * 60


# -- the global collection ---------------------------------------------------------------------


async def test_only_admins_teach_the_global_collection(teaching: Teaching) -> None:
    with pytest.raises(AdminOnlyError) as refused:
        await teaching.teach(ANN_CHAT, ANN, "The cafe closes at 17:30.", everyone=True)
    assert str(refused.value) == "Only the bot's admins can teach the global collection."
    assert isinstance(refused.value, UserFacingError)
    with pytest.raises(AdminOnlyError):  # not even a /teach_global waiting for its text
        await teaching.teach(ANN_CHAT, ANN, "", everyone=True)
    assert await teaching.learn_awaited_text(ANN_CHAT, ANN, "The cafe closes at 17:30.") is None

    taught = await teaching.teach(ADMIN_CHAT, ADMIN, "The party is on December 19.", everyone=True)
    assert taught is not None and taught.document.scope == GLOBAL_SCOPE
    for chat, user in ((ANN_CHAT, ANN), (BOB_CHAT, BOB), (GROUP, ANN)):
        [entry] = teaching.documents(chat, user)
        assert entry.is_global and not entry.forgettable


async def test_a_global_file_from_someone_else_than_an_admin_is_refused(
    teaching: Teaching,
) -> None:
    for caption in ("#global", "/teach_global", "/teach_global@tgtrainer_bot"):
        with pytest.raises(AdminOnlyError):
            teaching.admit_upload(ANN_CHAT, ANN, Upload("a.txt", None, 10, caption), BOT)
    admitted = teaching.admit_upload(ADMIN_CHAT, ADMIN, Upload("a.txt", None, 10, "#global"), BOT)
    assert admitted is not None and admitted.scope == GLOBAL_SCOPE


# -- which files are meant for the bot ---------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "for_the_bot"),
    [
        ("", False),
        ("Holiday photos from last week", False),
        ("@tgtrainer_bot", True),
        ("/teach", True),
        ("/teach@tgtrainer_bot", True),
    ],
)
def test_in_a_group_only_files_meant_for_the_bot_are_learned(
    teaching: Teaching, caption: str, for_the_bot: bool
) -> None:
    admitted = teaching.admit_upload(GROUP, ANN, Upload("plan.txt", None, 100, caption), BOT)
    assert (admitted is not None) == for_the_bot
    if admitted is not None:
        assert admitted.scope == chat_scope(GROUP.id)


def test_in_a_private_chat_every_file_is_learned_into_the_users_scope(
    teaching: Teaching,
) -> None:
    admitted = teaching.admit_upload(ANN_CHAT, ANN, Upload("plan.pdf", None, None), BOT)
    assert admitted is not None
    assert (admitted.scope, admitted.file.name, admitted.file.kind) == (
        user_scope(ANN.id),
        "plan.pdf",
        "pdf",
    )


def test_a_file_is_judged_before_it_is_downloaded(teaching: Teaching) -> None:
    with pytest.raises(UnsupportedFormatError, match="send PDF, DOCX, TXT"):
        teaching.admit_upload(ANN_CHAT, ANN, Upload("setup.exe", None, 10), BOT)
    with pytest.raises(DocumentTooLargeError, match="up to 1 MB"):
        teaching.admit_upload(ANN_CHAT, ANN, Upload("big.txt", None, 2 * 2**20), BOT)
    # A group file not meant for the bot is not judged at all: nobody is told anything.
    assert teaching.admit_upload(GROUP, ANN, Upload("setup.exe", None, 10), BOT) is None


async def test_a_caption_question_comes_with_the_admitted_file(
    teaching: Teaching, tmp_path: Path
) -> None:
    upload = Upload("lease.txt", "text/plain", 80, "@tgtrainer_bot When is the rent due?")
    admitted = teaching.admit_upload(GROUP, ANN, upload, BOT)
    assert admitted is not None and admitted.question == "When is the rent due?"
    path = tmp_path / "upload"
    path.write_text("The rent for flat 12 is due on the third of each month.")
    [learned] = await teaching.learn_upload(admitted, path)
    result = learned.result
    assert result is not None and (result.status, result.document.name) == ("learned", "lease.txt")
    assert not learned.thin and result.characters == len(path.read_text())
    assert names(teaching, GROUP, BOB) == ["lease.txt"]


@pytest.mark.parametrize(
    ("caption", "asked"),
    [
        ("What is the deadline?", "What is the deadline?"),
        ("@TgTrainer_bot what is the deadline?", "what is the deadline?"),
        ("/teach", ""),
        ("/teach@tgtrainer_bot #global", ""),
        ("#global Summarise the first chapter", "Summarise the first chapter"),
        ("@tgtrainer_bot", ""),
        ("", ""),
    ],
)
def test_a_caption_is_a_question_once_names_and_flags_are_set_aside(
    caption: str, asked: str
) -> None:
    assert caption_question(caption, BOT) == asked


# -- /teach waiting for its text ---------------------------------------------------------------


async def test_teach_without_text_waits_for_the_next_text_once(teaching: Teaching) -> None:
    assert await teaching.teach(GROUP, ANN, "") is None
    assert await teaching.learn_awaited_text(GROUP, BOB, "Bob is just talking.") is None
    learned = await teaching.learn_awaited_text(GROUP, ANN, "The offsite is in Tromso.")
    assert learned is not None and learned.document.scope == chat_scope(GROUP.id)
    assert await teaching.learn_awaited_text(GROUP, ANN, "What is the plan?") is None


async def test_teach_without_text_waits_for_a_file_too(teaching: Teaching) -> None:
    assert await teaching.teach(GROUP, ANN, "") is None
    admitted = teaching.admit_upload(GROUP, ANN, Upload("notes.txt", None, 10), BOT)
    assert admitted is not None and admitted.scope == chat_scope(GROUP.id)
    assert teaching.admit_upload(GROUP, ANN, Upload("more.txt", None, 10), BOT) is None

    assert await teaching.teach(ADMIN_CHAT, ADMIN, "", everyone=True) is None
    admitted = teaching.admit_upload(ADMIN_CHAT, ADMIN, Upload("rules.txt", None, 10), BOT)
    assert admitted is not None and admitted.scope == GLOBAL_SCOPE


async def test_a_waiting_teach_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings()
    with Database(tmp_path / "kb.sqlite3") as database:
        library = Library(settings, KnowledgeStore(database), HashingEmbedder())
        await teaching_over(database, library).teach(ANN_CHAT, ANN, "")
        await teaching_over(database, library).teach(GROUP, ADMIN, "", everyone=True)
    with Database(tmp_path / "kb.sqlite3") as database:  # the bot started again
        library = Library(settings, KnowledgeStore(database), HashingEmbedder())
        teaching = teaching_over(database, library)
        learned = await teaching.learn_awaited_text(ANN_CHAT, ANN, "Ann's locker is 7321.")
        assert learned is not None and learned.document.scope == user_scope(ANN.id)
        learned = await teaching.learn_awaited_text(GROUP, ADMIN, "Lunch is at noon.")
        assert learned is not None and learned.document.scope == GLOBAL_SCOPE


async def test_a_teach_left_waiting_too_long_lapses_and_is_gone(
    database: Database, library: Library
) -> None:
    await teaching_over(database, library).teach(ANN_CHAT, ANN, "")
    lapsed = teaching_over(database, library, teach_wait_seconds=-1)  # the hour has passed
    assert await lapsed.learn_awaited_text(ANN_CHAT, ANN, "Just chatting.") is None
    patient = teaching_over(database, library)
    assert await patient.learn_awaited_text(ANN_CHAT, ANN, "Still chatting.") is None
    assert library.documents([user_scope(ANN.id)]) == []


# -- who may forget what -----------------------------------------------------------------------


async def test_users_forget_their_own_documents_and_admins_the_global_ones(
    teaching: Teaching,
) -> None:
    await teaching.teach(ANN_CHAT, ANN, "Ann's note about otters.")
    await teaching.teach(BOB_CHAT, BOB, "Bob's note about otters.")
    await teaching.teach(ADMIN_CHAT, ADMIN, "Everyone's note about otters.", everyone=True)
    ann_note, bob_note = "note: Ann's note about otters.", "note: Bob's note about otters."
    global_note = "note: Everyone's note about otters."

    assert await teaching.forget(ANN_CHAT, ANN, bob_note) is None
    assert await teaching.forget(ANN_CHAT, ANN, global_note) is None
    listed = {e.document.name: e for e in teaching.documents(BOB_CHAT, BOB)}
    global_entry, bob_entry = listed[global_note], listed[bob_note]
    assert await teaching.forget_by_id(ANN_CHAT, ANN, global_entry.document.id) is None
    assert await teaching.forget_by_id(ANN_CHAT, ANN, bob_entry.document.id) is None
    assert sorted(names(teaching, BOB_CHAT, BOB)) == [bob_note, global_note]

    forgotten = await teaching.forget(ANN_CHAT, ANN, ann_note)
    assert forgotten is not None and forgotten.name == ann_note
    assert [e.forgettable for e in teaching.documents(ADMIN_CHAT, ADMIN)] == [True]
    forgotten = await teaching.forget_by_id(ADMIN_CHAT, ADMIN, global_entry.document.id)
    assert forgotten is not None and forgotten.name == global_note
    assert names(teaching, BOB_CHAT, BOB) == [bob_note]
    assert await teaching.forget_by_id(ADMIN_CHAT, ADMIN, global_entry.document.id) is None


async def test_an_admin_forgets_their_own_document_before_a_global_one_of_that_name(
    teaching: Teaching,
) -> None:
    await teaching.teach(ADMIN_CHAT, ADMIN, "Same words.")
    await teaching.teach(ADMIN_CHAT, ADMIN, "Same words.", everyone=True)
    first = await teaching.forget(ADMIN_CHAT, ADMIN, "note: Same words.")
    second = await teaching.forget(ADMIN_CHAT, ADMIN, "note: Same words.")
    assert first is not None and first.scope == user_scope(ADMIN.id)
    assert second is not None and second.scope == GLOBAL_SCOPE


async def test_forget_all_forgets_the_chats_own_and_never_the_global_ones(
    teaching: Teaching,
) -> None:
    await teaching.teach(GROUP, ANN, "Group fact one.")
    await teaching.teach(GROUP, BOB, "Group fact two.")
    await teaching.teach(ANN_CHAT, ANN, "Ann's own fact.")
    await teaching.teach(ADMIN_CHAT, ADMIN, "A global fact.", everyone=True)
    assert [e.forgettable for e in teaching.documents(GROUP, BOB)] == [True, True, False]
    assert await teaching.forget_all(GROUP, ADMIN) == 2
    assert names(teaching, GROUP, BOB) == ["note: A global fact."]
    assert sorted(names(teaching, ANN_CHAT, ANN)) == [
        "note: A global fact.",
        "note: Ann's own fact.",
    ]
    assert await teaching.forget_all(GROUP, ADMIN) == 0


# -- the sources of the last answer ------------------------------------------------------------


def echo(messages: Sequence[ChatMessage]) -> str:
    return f"echo {messages[-1].content}"


async def test_the_sources_are_those_of_the_chats_last_answer(
    tmp_path: Path, database: Database, library: Library, teaching: Teaching
) -> None:
    settings = Settings(data_dir=tmp_path)
    grounder = Grounder(
        library, top_k=3, min_score=0.2, budget_tokens=400, sources=LastSourcesStore(database)
    )
    model = ScriptedChatModel(echo)
    assistant = Assistant(settings, ConversationStore(database), model, grounder)

    async def ask(chat: ChatRef, user: UserRef, text: str, message_id: int) -> None:
        turn = assistant.begin_turn(chat, user, text, message_id)
        assert turn is not None
        async for _ in turn.stream():
            pass
        turn.finish([message_id + 1000])

    await teaching.teach(ANN_CHAT, ANN, "Mars has two moons, Phobos and Deimos.")
    assert teaching.last_sources(ANN_CHAT) == []
    await ask(ANN_CHAT, ANN, "What are the moons of Mars?", 1)
    assert [p.document for p in teaching.last_sources(ANN_CHAT)] == [
        "note: Mars has two moons, Phobos and"
    ]
    assert teaching.last_sources(BOB_CHAT) == []
    await ask(ANN_CHAT, ANN, "Explain quantum chromodynamics", 2)
    assert teaching.last_sources(ANN_CHAT) == []  # that answer did not come from documents
