"""The assistant's turns: memory per chat, system prompts, models, redelivered messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.assistant import MAX_SYSTEM_PROMPT_CHARS, SystemPromptTooLongError
from tgtrainer.core.grounding import GENERAL_KNOWLEDGE, QUESTION_LABEL, Grounder
from tgtrainer.knowledge.types import Passage
from tgtrainer.llm import ChatMessage
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.dialogue import DialogueLog
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.testing.scripted_model import ScriptedChatModel

ANN = UserRef(1, "Ann")
ANN_CHAT = ChatRef(1, "private")
BOB = UserRef(2, "Bob")
BOB_CHAT = ChatRef(2, "private")


def echo(messages: Sequence[ChatMessage]) -> str:
    return f"echo {messages[-1].content}"


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(echo, models=["small", "large"])


@pytest.fixture
def assistant(tmp_path: Path, model: ScriptedChatModel) -> Assistant:
    settings = Settings(data_dir=tmp_path, system_prompt="Default prompt.")
    return Assistant(settings, ConversationStore(Database(settings.database_path)), model)


async def ask(
    assistant: Assistant, chat: ChatRef, user: UserRef, text: str, message_id: int
) -> str:
    turn = assistant.begin_turn(chat, user, text, message_id)
    assert turn is not None
    pieces = [piece async for piece in turn.stream()]
    turn.finish([message_id + 1000])
    return "".join(pieces)


async def test_a_turn_sees_the_system_prompt_and_the_history(
    assistant: Assistant, model: ScriptedChatModel
) -> None:
    await ask(assistant, ANN_CHAT, ANN, "first", 1)
    answer = await ask(assistant, ANN_CHAT, ANN, "second", 2)
    assert answer.strip() == "echo second"
    assert [(m.role, m.content.strip()) for m in model.prompts[-1]] == [
        ("system", "Default prompt."),
        ("user", "first"),
        ("assistant", "echo first"),
        ("user", "second"),
    ]


async def test_chats_never_see_each_other(assistant: Assistant, model: ScriptedChatModel) -> None:
    await ask(assistant, ANN_CHAT, ANN, "ann's secret", 1)
    await ask(assistant, BOB_CHAT, BOB, "hello", 1)
    assert "ann's secret" not in str(model.prompts[-1])


async def test_reset_forgets_the_conversation(
    assistant: Assistant, model: ScriptedChatModel
) -> None:
    await ask(assistant, ANN_CHAT, ANN, "remember this", 1)
    assistant.reset(ANN_CHAT)
    await ask(assistant, ANN_CHAT, ANN, "what did I say?", 2)
    assert [m.role for m in model.prompts[-1]] == ["system", "user"]


async def test_an_answered_message_is_not_answered_again(assistant: Assistant) -> None:
    await ask(assistant, ANN_CHAT, ANN, "hello", 1)
    assert assistant.begin_turn(ANN_CHAT, ANN, "hello", 1) is None


async def test_a_chat_can_have_its_own_system_prompt(
    assistant: Assistant, model: ScriptedChatModel
) -> None:
    assistant.set_system_prompt(ANN_CHAT, "Answer like a pirate.")
    await ask(assistant, ANN_CHAT, ANN, "hi", 1)
    assert model.prompts[-1][0] == ChatMessage("system", "Answer like a pirate.")
    await ask(assistant, BOB_CHAT, BOB, "hi", 1)
    assert model.prompts[-1][0] == ChatMessage("system", "Default prompt.")
    assistant.set_system_prompt(ANN_CHAT, None)
    assert assistant.system_prompt(ANN_CHAT) == "Default prompt."


async def test_a_system_prompt_over_the_cap_is_refused_and_nothing_changes(
    assistant: Assistant,
) -> None:
    assistant.set_system_prompt(ANN_CHAT, "x" * MAX_SYSTEM_PROMPT_CHARS)
    with pytest.raises(
        SystemPromptTooLongError, match="at most 4,000 characters; this one has 11,000"
    ):
        assistant.set_system_prompt(ANN_CHAT, "y" * 11_000)
    assert assistant.system_prompt(ANN_CHAT) == "x" * MAX_SYSTEM_PROMPT_CHARS


async def test_a_long_default_system_prompt_never_hides_the_question(
    tmp_path: Path,
) -> None:
    """The defect: with an 11,000-character prompt the model got only "[...]" as the question."""
    model = ScriptedChatModel(echo, context_tokens=1024)
    settings = Settings(data_dir=tmp_path, system_prompt="Be brief. " * 1100)
    assistant = Assistant(settings, ConversationStore(Database(settings.database_path)), model)
    answer = await ask(assistant, ANN_CHAT, ANN, "What is the capital of France?", 1)
    assert answer.strip() == "echo What is the capital of France?"
    assert model.prompts[-1][0].content.endswith("[...]")


async def test_a_chat_picks_one_of_the_offered_models(assistant: Assistant) -> None:
    assert await assistant.current_model(ANN_CHAT) == "small"
    assert await assistant.choose_model(ANN_CHAT, "large")
    assert not await assistant.choose_model(ANN_CHAT, "imaginary")
    assert await assistant.current_model(ANN_CHAT) == "large"
    turn = assistant.begin_turn(ANN_CHAT, ANN, "hi", 1)
    assert turn is not None and turn.model_name == "large"


async def test_an_answered_message_is_known_before_any_work_is_done_again(
    assistant: Assistant,
) -> None:
    assert not assistant.already_answered(ANN_CHAT, 7)
    await ask(assistant, ANN_CHAT, ANN, "a transcribed voice note", 7)
    assert assistant.already_answered(ANN_CHAT, 7)
    assert not assistant.already_answered(BOB_CHAT, 7)


class CountingRetriever:
    """A knowledge base that has documents, finds nothing, and counts the searches."""

    def __init__(self) -> None:
        self.searches: list[Sequence[str]] = []

    async def search(self, query: str, scopes: Sequence[str], k: int) -> list[Passage]:
        self.searches.append(scopes)
        return []

    def has_documents(self, scopes: Sequence[str]) -> bool:
        return True


async def test_a_turn_is_grounded_once_by_its_one_grounder(
    tmp_path: Path, model: ScriptedChatModel
) -> None:
    settings = Settings(data_dir=tmp_path, system_prompt="Default prompt.")
    retriever = CountingRetriever()
    grounder = Grounder(retriever, top_k=3, min_score=0.2, budget_tokens=400)
    assistant = Assistant(
        settings, ConversationStore(Database(settings.database_path)), model, grounder
    )
    turn = assistant.begin_turn(ANN_CHAT, ANN, "hello", 1)
    assert turn is not None and turn.grounding is None
    await turn.prepare()
    pieces = [piece async for piece in turn.stream()]  # prepared already: no second search
    assert retriever.searches == [["user:1", "global"]]
    assert turn.grounding is not None and turn.grounding.notice is not None
    asked = f"{GENERAL_KNOWLEDGE}\n\n{QUESTION_LABEL}hello"
    assert model.prompts[-1][-1].content == asked
    assert "".join(pieces).strip() == f"echo {asked}"
    turn.finish([1001])  # no sources store: nothing to remember, nothing fails


async def test_an_answer_is_logged_with_the_models_default_name_without_listing_models(
    tmp_path: Path,
) -> None:
    class NoListing(ScriptedChatModel):
        """A backend whose model list costs a request: a turn must not ask for it."""

        async def list_models(self) -> list[str]:
            raise AssertionError("listed the models to name the one that answered")

    model = NoListing(echo)
    model.default_model = "the-default"
    settings = Settings(data_dir=tmp_path)
    database = Database(settings.database_path)
    store = ConversationStore(database)
    assistant = Assistant(settings, store, model, answer_log=AnswerLogStore(database))
    await ask(assistant, ANN_CHAT, ANN, "hello", 1)
    [turn] = DialogueLog(database).turns()
    assert turn.model == "the-default"
