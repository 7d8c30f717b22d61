"""The bot's one error boundary, with the real application in this process against the sandbox:
a document's status message ends with the sentence of what went wrong (a generic one for a bug),
and an update that failed goes no further."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import BOT_TOKEN
from tgtrainer.bot.app import build_application
from tgtrainer.bot.boundary import INTERNAL_ERROR
from tgtrainer.bot.documents import FAILED
from tgtrainer.config import Settings
from tgtrainer.core import Assistant
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.teaching import Teaching
from tgtrainer.knowledge.embedder import Vectors
from tgtrainer.knowledge.errors import EmbeddingError
from tgtrainer.knowledge.library import Library
from tgtrainer.llm import ChatMessage
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.knowledge import KnowledgeStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.testing.hashing_embedder import HashingEmbedder
from tgtrainer.testing.scripted_model import ScriptedChatModel

TIMEOUT = 20
EMBEDDER_DOWN = "The embedding model is not answering right now, try again in a minute."


class BreakableEmbedder(HashingEmbedder):
    """Embeds like `HashingEmbedder` until given an error to raise."""

    def __init__(self) -> None:
        super().__init__()
        self.error: Exception | None = None

    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        if self.error is not None:
            raise self.error
        return await super().embed_batch(texts)


def echo(messages: Sequence[ChatMessage]) -> str:
    if messages[-1].content == "crash":
        raise RuntimeError("a bug in the model")
    return f"echo {messages[-1].content}"


@pytest.fixture
def embedder() -> BreakableEmbedder:
    return BreakableEmbedder()


@pytest.fixture
async def client(
    sandbox_server: SandboxServer, tmp_path: Path, embedder: BreakableEmbedder
) -> AsyncIterator[SandboxClient]:
    """The real application, polling the sandbox from this process, and a client for it."""
    settings = Settings(
        telegram_bot_token=BOT_TOKEN,
        telegram_api_url=sandbox_server.url,
        telegram_rate_limit=False,
        data_dir=tmp_path,
        open_access=True,
    )
    with Database(settings.database_path) as database:
        library = Library(settings, KnowledgeStore(database), embedder)
        sources = LastSourcesStore(database)
        grounder = Grounder(library, top_k=3, min_score=0.2, budget_tokens=400, sources=sources)
        model = ScriptedChatModel(echo)
        assistant = Assistant(settings, ConversationStore(database), model, grounder)
        teaching = Teaching(library, assistant.access, PendingTeachStore(database), sources)
        application = build_application(settings, assistant, teaching=teaching)
        async with application:
            assert application.updater is not None
            await application.updater.start_polling(drop_pending_updates=True, timeout=1)
            await application.start()
            try:
                async with SandboxClient(sandbox_server.url) as client:
                    yield client
            finally:
                await application.updater.stop()
                await application.stop()


async def replies(client: SandboxClient, chat_id: int, send: object, count: int = 1) -> list[str]:
    """The texts of the bot's messages after `send` (a coroutine that sends something)."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send  # type: ignore[misc]
    messages = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: len(ms) >= count and not ms[-1]["text"].startswith("Reading"),
        timeout=TIMEOUT,
    )
    return [message["text"] for message in messages]


async def test_a_document_that_fails_ends_its_status_message_with_the_sentence(
    client: SandboxClient, chat_id: int, embedder: BreakableEmbedder
) -> None:
    embedder.error = EmbeddingError(EMBEDDER_DOWN)
    send = client.send_file(chat_id, b"The pier opens at six.", file_name="pier.txt")
    assert await replies(client, chat_id, send) == [EMBEDDER_DOWN]

    embedder.error = RuntimeError("a bug")  # not the user's to know: the generic sentence
    send = client.send_file(chat_id, b"The pier closes at ten.", file_name="pier2.txt")
    assert await replies(client, chat_id, send) == [FAILED]

    embedder.error = None
    send = client.send_file(chat_id, b"The pier closes at ten.", file_name="pier2.txt")
    [learned] = await replies(client, chat_id, send)
    assert learned.startswith("Learned pier2.txt")


async def test_a_taught_text_that_fails_is_told_once_and_not_answered_as_a_question(
    client: SandboxClient, chat_id: int, embedder: BreakableEmbedder
) -> None:
    [invite] = await replies(client, chat_id, client.send_text(chat_id, "/teach"))
    assert invite.startswith("Send me the text")
    embedder.error = EmbeddingError(EMBEDDER_DOWN)
    after = (await client.events(after=0, timeout=0))["last_seq"]
    told = await replies(client, chat_id, client.send_text(chat_id, "The gate code is 5521."))
    assert told == [EMBEDDER_DOWN]
    embedder.error = None
    await client.send_text(chat_id, "Hello?")
    said = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: any(m["text"].startswith("echo Hello?") for m in ms),
        timeout=TIMEOUT,
    )
    # The failed text was never answered as a question.
    assert [m["text"].strip() for m in said] == [EMBEDDER_DOWN, "echo Hello?"]


async def test_a_bug_anywhere_gives_the_generic_sentence(
    client: SandboxClient, chat_id: int
) -> None:
    told = await replies(client, chat_id, client.send_text(chat_id, "crash"))
    assert INTERNAL_ERROR in told[-1]
    assert "Traceback" not in told[-1] and "RuntimeError" not in told[-1]
