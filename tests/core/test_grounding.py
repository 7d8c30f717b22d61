"""Grounded turns: passages in the prompt within budget, numbered sources, the fallback notice."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.context import PER_MESSAGE_OVERHEAD, TRUNCATION_MARK
from tgtrainer.core.excerpts import ELLIPSIS, clear_leaders, excerpt, query_words
from tgtrainer.core.grounding import (
    GENERAL_KNOWLEDGE,
    INSTRUCTIONS,
    NOTHING_FOUND,
    QUESTION_LABEL,
    Grounder,
    scopes_for,
    teaching_scope,
)
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import GLOBAL_SCOPE, Passage, chat_scope, user_scope
from tgtrainer.llm import ChatMessage
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder
from tgtrainer.testing.scripted_model import ScriptedChatModel

ANN = UserRef(1, "Ann")
ANN_CHAT = ChatRef(1, "private")
BOB = UserRef(2, "Bob")
BOB_CHAT = ChatRef(2, "private")
GROUP = ChatRef(-5, "group", "Team")


def echo(messages: Sequence[ChatMessage]) -> str:
    return f"echo {messages[-1].content}"


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(echo)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "bot.sqlite3") as database:
        yield database


@pytest.fixture
def parts(
    tmp_path: Path, database: Database, model: ScriptedChatModel
) -> tuple[Assistant, Library]:
    settings = Settings(data_dir=tmp_path, system_prompt="Be helpful.")
    library = Library(settings, KnowledgeStore(database), HashingEmbedder())
    grounder = Grounder(
        library, top_k=3, min_score=0.2, budget_tokens=400, sources=LastSourcesStore(database)
    )
    return Assistant(settings, ConversationStore(database), model, grounder), library


async def answer(assistant: Assistant, chat: ChatRef, user: UserRef, text: str, mid: int) -> str:
    turn = assistant.begin_turn(chat, user, text, mid)
    assert turn is not None
    async for _ in turn.stream():
        pass
    turn.finish([mid + 1000])
    return turn.display_text


def test_scopes_private_group_global() -> None:
    assert scopes_for(ANN_CHAT, ANN) == [user_scope(1), GLOBAL_SCOPE]
    assert scopes_for(GROUP, ANN) == [chat_scope(-5), GLOBAL_SCOPE]
    assert teaching_scope(ANN_CHAT, ANN) == user_scope(1)
    assert teaching_scope(GROUP, ANN) == chat_scope(-5)


async def test_passages_reach_the_prompt_and_sources_follow_the_answer(
    parts: tuple[Assistant, Library], model: ScriptedChatModel, database: Database
) -> None:
    assistant, library = parts
    await library.learn_text("The ferry to Vellmar leaves at 6:40 from pier 9.", "ferry", "user:1")
    shown = await answer(assistant, ANN_CHAT, ANN, "When does the ferry to Vellmar leave?", 1)
    system, asked = model.prompts[-1][0], model.prompts[-1][-1]
    assert system.content == f"Be helpful.\n\n{INSTRUCTIONS}"
    assert asked.role == "user"
    assert asked.content.startswith("[1] (ferry)\nThe ferry to Vellmar leaves at 6:40 from pier 9.")
    assert asked.content.endswith(f"{QUESTION_LABEL}When does the ferry to Vellmar leave?")
    assert shown.endswith("**Sources:**\n[1] ferry")
    assert [p.document for p in LastSourcesStore(database).get(ANN_CHAT.id)] == ["ferry"]


async def test_no_relevant_passage_gives_the_general_knowledge_notice(
    parts: tuple[Assistant, Library], model: ScriptedChatModel
) -> None:
    assistant, library = parts
    await library.learn_text("Tulips bloom in spring.", "tulips", "user:1")
    shown = await answer(assistant, ANN_CHAT, ANN, "Explain quantum chromodynamics", 1)
    assert shown.startswith(NOTHING_FOUND)
    assert model.prompts[-1][0].content == f"Be helpful.\n\n{INSTRUCTIONS}"
    assert model.prompts[-1][-1].content.startswith(GENERAL_KNOWLEDGE)
    assert "Tulips" not in str(model.prompts[-1])


async def test_chats_without_documents_are_answered_as_before(
    parts: tuple[Assistant, Library], model: ScriptedChatModel
) -> None:
    assistant, _ = parts
    shown = await answer(assistant, BOB_CHAT, BOB, "hello", 1)
    assert shown.strip() == "echo hello"
    assert [m.content for m in model.prompts[-1]] == ["Be helpful.", "hello"]


async def test_another_users_private_passages_never_reach_the_prompt(
    parts: tuple[Assistant, Library], model: ScriptedChatModel
) -> None:
    assistant, library = parts
    await library.learn_text("Ann's bank PIN is 5519.", "pin", "user:1")
    await library.learn_text("Lunch is served at noon.", "lunch", GLOBAL_SCOPE)
    await answer(assistant, BOB_CHAT, BOB, "What is Ann's bank PIN?", 1)
    assert "5519" not in str(model.prompts[-1])
    await answer(assistant, GROUP, BOB, "What is Ann's bank PIN?", 2)
    assert "5519" not in str(model.prompts[-1])


async def test_passages_are_kept_within_the_token_budget(
    parts: tuple[Assistant, Library], model: ScriptedChatModel
) -> None:
    assistant, library = parts
    for n in range(6):
        await library.learn_text(f"Harbour fact {n}: " + "harbour boats " * 100, f"h{n}", "user:1")
    await answer(assistant, ANN_CHAT, ANN, "harbour boats", 1)
    asked = model.prompts[-1][-1].content
    assert model.count_tokens(asked) <= 400 + model.count_tokens(QUESTION_LABEL + "harbour boats")
    assert "[1]" in asked and "[2]" in asked


async def test_a_follow_up_question_leaves_the_earlier_turns_as_they_were(
    parts: tuple[Assistant, Library], model: ScriptedChatModel
) -> None:
    """What a local model has read of the conversation stays valid: only the new turn differs."""
    assistant, library = parts
    await library.learn_text("The ferry to Vellmar leaves at 6:40 from pier 9.", "ferry", "user:1")
    await library.learn_text("The bus to Kassel leaves at 7:15 from stop B.", "bus", "user:1")
    await answer(assistant, ANN_CHAT, ANN, "When does the ferry to Vellmar leave?", 1)
    first = model.prompts[-1]
    await answer(assistant, ANN_CHAT, ANN, "And the bus to Kassel?", 2)
    second = model.prompts[-1]
    assert second[0] == first[0]  # the system prompt
    assert second[1].content == "When does the ferry to Vellmar leave?"  # no passages left in it
    assert second[-1].content.startswith("[1] (bus)")
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]


async def test_passages_take_only_the_room_a_long_question_leaves(
    tmp_path: Path, database: Database
) -> None:
    """Nothing is cut mid-way: the question stays whole, and so do the passages that fit."""
    model = ScriptedChatModel(echo, context_tokens=564)  # a 500-token prompt budget
    settings = Settings(data_dir=tmp_path, system_prompt="Be helpful.")
    library = Library(settings, KnowledgeStore(database), HashingEmbedder())
    grounder = Grounder(library, top_k=3, min_score=0.0, budget_tokens=400)
    assistant = Assistant(settings, ConversationStore(database), model, grounder)
    await library.learn_text("The ferry to Vellmar leaves at 6:40 from pier 9.", "ferry", "user:1")
    for n in range(4):
        await library.learn_text(f"Ferry note {n}: " + "ferry timetable " * 60, f"f{n}", "user:1")
    question = ("When does the ferry to Vellmar leave? " + "I ask because " * 80).strip()
    await answer(assistant, ANN_CHAT, ANN, question, 1)
    prompt = model.prompts[-1]
    assert prompt[-1].content.endswith(question)
    assert "[1] (" in prompt[-1].content
    assert not any(TRUNCATION_MARK in message.content for message in prompt)
    assert sum(model.count_tokens(m.content) + PER_MESSAGE_OVERHEAD for m in prompt) <= 500


def words(text: str) -> int:
    return len(text.split())


LONG_PASSAGE = " ".join(
    [f"Filler sentence number {n} talks about gardens." for n in range(20)]
    + ["The ferry to Vellmar leaves at 6:40 from pier 9."]
    + [f"Another sentence {n} talks about weather." for n in range(20)]
)


def test_a_long_passage_is_cut_to_the_sentences_around_the_hit() -> None:
    cut = excerpt(LONG_PASSAGE, "When does the ferry to Vellmar leave?", words, 30)
    assert "The ferry to Vellmar leaves at 6:40 from pier 9." in cut
    assert words(cut) <= 30 + 2  # the two ellipses
    assert cut.startswith(ELLIPSIS) and cut.endswith(ELLIPSIS)
    assert "number 19 talks" in cut and "sentence 0 talks" in cut  # the neighbours on both sides
    assert "number 0 talks" not in cut and "sentence 19 talks" not in cut


def test_a_passage_that_fits_is_left_whole() -> None:
    text = "One short sentence. Another one."
    assert excerpt(text, "anything", words, 30) == text


def test_without_a_shared_word_the_opening_is_kept() -> None:
    cut = excerpt(LONG_PASSAGE, "quantum chromodynamics", words, 14)
    assert cut.startswith("Filler sentence number 0") and cut.endswith(ELLIPSIS)
    assert words(cut) <= 14 + 1


def test_one_sentence_longer_than_the_budget_keeps_its_first_words() -> None:
    text = "ferry " * 50 + ". Short tail."
    cut = excerpt(text, "ferry", words, 10)
    assert words(cut) <= 10 + 1 and cut.startswith("ferry ferry")


def test_words_meet_by_their_stem_and_fillers_do_not_count() -> None:
    assert query_words("What are the iterators?") == frozenset({"itera"})
    text = "What is this? " * 10 + "An iterator yields items. " + "What is that? " * 10
    assert "An iterator yields items." in excerpt(text, "What are the iterators?", words, 8)


def passage(chunk_id: int, score: float) -> Passage:
    return Passage(chunk_id, f"doc{chunk_id}", "text", score)


def test_when_the_best_is_clearly_best_the_others_stay_out() -> None:
    ranked = [passage(1, 0.7), passage(2, 0.5), passage(3, 0.45)]
    assert [p.chunk_id for p in clear_leaders(ranked, 0.15)] == [1]


def test_passages_close_to_the_best_or_above_it_are_kept() -> None:
    ranked = [passage(1, 0.6), passage(2, 0.5), passage(3, 0.3), passage(4, 0.8)]
    assert [p.chunk_id for p in clear_leaders(ranked, 0.15)] == [1, 2, 4]
    assert clear_leaders([], 0.15) == []


async def test_the_prompt_gets_the_sentences_around_the_hit_and_sources_the_whole_passage(
    tmp_path: Path, database: Database, model: ScriptedChatModel
) -> None:
    settings = Settings(data_dir=tmp_path, system_prompt="Be helpful.")
    library = Library(settings, KnowledgeStore(database), HashingEmbedder())
    grounder = Grounder(library, top_k=3, min_score=0.0, budget_tokens=2000, passage_tokens=40)
    one_chunk = LONG_PASSAGE[LONG_PASSAGE.index("Filler sentence number 12") :]
    one_chunk = one_chunk[: one_chunk.index("Another sentence 8")].strip()  # one chunk
    assert "number 12 talks" in one_chunk and "ferry" in one_chunk
    await library.learn_text(one_chunk, "ferry", "user:1")
    grounding = await grounder.ground(
        ANN_CHAT, ANN, "When does the ferry to Vellmar leave?", model.count_tokens
    )
    prompt = grounding.question("When does the ferry to Vellmar leave?")
    assert prompt.startswith("[1] (ferry")
    assert "The ferry to Vellmar leaves at 6:40 from pier 9." in prompt
    assert "number 12 talks" not in prompt
    assert [p.text for p in grounding.passages] == [one_chunk]


def test_a_word_found_in_every_sentence_weighs_less_than_a_rare_one() -> None:
    text = (
        " ".join(f"The dict method number {n} returns a dict key." for n in range(10))
        + " When the key is missing, the answer is None."
        + " ".join(f" The dict view number {n} holds a dict key." for n in range(10))
    )
    cut = excerpt(text, "What does the dict return when the key is missing?", words, 12)
    assert "When the key is missing, the answer is None." in cut
