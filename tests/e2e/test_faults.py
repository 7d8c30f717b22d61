"""Faults around the real bot process: the Bot API failing for a while, the model server failing,
and the bot killed with SIGKILL mid-answer, mid-document and mid-voice note, then restarted.

Afterwards every message has exactly one answer (or one clear sentence), the database passes
`PRAGMA integrity_check`, an interrupted document is absent and its temporary file is gone.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BOT_USERNAME, SCRIPTS, BotProcess, bot_environment
from tgtrainer.core.recovery import INTERRUPTED
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import tone_voice_note

TIMEOUT = 45
INTERNAL_ERROR = "Something went wrong on my side. Please try again."


class Bot:
    """The bot process for one test, started and restarted with one environment and data dir."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process = BotProcess(env, data_dir.parent / "bot.log")

    def start(self) -> None:
        self.process.start()

    async def kill(self) -> None:
        assert await asyncio.to_thread(self.process.stop, signal.SIGKILL) == -signal.SIGKILL

    def integrity(self) -> str:
        with sqlite3.connect(self.data_dir / "tgtrainer.sqlite3") as db:
            return str(db.execute("PRAGMA integrity_check").fetchone()[0])

    def documents(self) -> int:
        with sqlite3.connect(self.data_dir / "tgtrainer.sqlite3") as db:
            return int(db.execute("SELECT count(*) FROM kb_documents").fetchone()[0])


@pytest.fixture
def make_bot(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> Iterator[Any]:
    started: list[Bot] = []

    def make(**extra: str) -> Bot:
        data_dir = tmp_path / "data"
        bot = Bot(bot_environment(sandbox_server, fake_openai, data_dir, **extra), data_dir)
        started.append(bot)
        return bot

    yield make
    fake_openai.chunk_delay = 0.0
    fake_openai.clear_faults()
    for bot in started:
        if bot.process.process is not None and bot.process.process.poll() is None:
            bot.process.stop()
        assert bot.integrity() == "ok"
        assert "Traceback" not in bot.process.log() or "could not be loaded" in bot.process.log()


async def answers(client: SandboxClient, chat_id: int) -> list[str]:
    """The bot's messages in the chat as they stand (deleted ones are gone)."""
    return [
        m.get("text") or m.get("caption") or ""
        for m in await client.messages(chat_id)
        if m["from_bot"]
    ]


async def wait_answers(
    client: SandboxClient, chat_id: int, count: int, *, settle: float = 1.0
) -> list[str]:
    """Wait until the chat shows `count` bot messages, give a wrong extra one time to come."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while len(shown := await answers(client, chat_id)) < count:
        assert loop.time() < deadline, f"chat {chat_id}: only {shown!r}"
        await asyncio.sleep(0.2)
    await asyncio.sleep(settle)
    return await answers(client, chat_id)


async def test_sigkill_mid_answer_loses_nothing_and_answers_nothing_twice(
    make_bot: Any, client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    story = " ".join(f"w{i}" for i in range(40))
    SCRIPTS["Tell me a long story."] = story
    group = -chat_id * 1000
    bot = make_bot()
    bot.start()
    fake_openai.chunk_delay = 0.1  # 4 s a story
    await client.send_text(chat_id, "Tell me a long story.")
    for number in range(3):  # waiting for their chat's turn when the bot dies
        await client.send_text(chat_id, f"Queued {number}")
    await client.send_text(group, f"@{BOT_USERNAME} Tell me a long story.", user_id=chat_id)
    await wait_answers(client, group, 1, settle=0)  # the group's answer is being streamed
    await bot.kill()
    fake_openai.chunk_delay = 0.0

    bot.start()
    assert await wait_answers(client, chat_id, 4) == [
        story,
        "You said: Queued 0",
        "You said: Queued 1",
        "You said: Queued 2",
    ]
    # the half-streamed group message was withdrawn: one whole answer remains
    assert await wait_answers(client, group, 1) == [story]
    await bot.kill()  # once more: nothing is answered again after a second restart
    bot.start()
    await client.send_text(chat_id, "Still there?")
    assert (await wait_answers(client, chat_id, 5))[4:] == ["You said: Still there?"]


async def test_bot_api_500s_and_429s_for_a_while_lose_no_answer(
    make_bot: Any, client: SandboxClient, chat_id: int
) -> None:
    chats = [chat_id * 1000 + number for number in range(3)]
    bot = make_bot(TELEGRAM_RETRY_SECONDS="30")
    bot.start()
    await client.inject_fault("*", error_code=500, description="Internal Server Error", seconds=4)
    for chat in chats[:2]:
        await client.send_text(chat, f"Hello from {chat}")
    await asyncio.sleep(2)
    await client.send_text(chats[2], "A new message in the outage")
    for chat in chats[:2]:
        assert await wait_answers(client, chat, 1) == [f"You said: Hello from {chat}"]
    assert await wait_answers(client, chats[2], 1) == ["You said: A new message in the outage"]

    await client.inject_fault("sendmessage", error_code=429, retry_after=1, seconds=2.5)
    await client.send_text(chat_id, "Too many requests?")
    assert await wait_answers(client, chat_id, 1) == ["You said: Too many requests?"]


async def test_model_failures_get_one_clear_sentence_and_are_not_answered_again(
    make_bot: Any, client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    bot = make_bot()
    bot.start()
    fake_openai.fail_next(503, count=4)  # down
    await client.send_text(chat_id, "Are you down?")
    [down] = await wait_answers(client, chat_id, 1)
    fake_openai.hang_next(6, count=4)  # slower than LLM_TIMEOUT
    await client.send_text(chat_id, "Are you slow?")
    [_, slow] = await wait_answers(client, chat_id, 2)
    fake_openai.fail_next(200, count=4, body={"garbage": [1, 2, 3]})
    await client.send_text(chat_id, "Are you making sense?")
    [_, _, garbage] = await wait_answers(client, chat_id, 3)
    for sentence in (down, slow, garbage):
        assert sentence and sentence != INTERNAL_ERROR
    fake_openai.clear_faults()
    await client.send_text(chat_id, "Back?")
    assert (await wait_answers(client, chat_id, 4))[3] == "You said: Back?"

    await bot.kill()
    bot.start()  # the failures were told: none of them is answered again
    await client.send_text(chat_id, "Once more")
    assert (await wait_answers(client, chat_id, 5))[3:] == [
        "You said: Back?",
        "You said: Once more",
    ]


async def test_sigkill_mid_document_and_mid_voice_note_is_reported_after_restart(
    make_bot: Any, client: SandboxClient, fake_openai: FakeOpenAIServer, chat_id: int
) -> None:
    listener = chat_id * 1000
    bot = make_bot(EMBEDDINGS_BACKEND="openai", STT_BACKEND="openai", STT_LANGUAGE="en")
    bot.start()
    fake_openai.hang_next(60, endpoint="embeddings")
    fake_openai.hang_next(60, endpoint="transcriptions")
    # The fake server's request logs are the session's: only this test's requests count.
    fake_openai.embedding_requests.clear()
    fake_openai.audio_requests.clear()
    text = "\n\n".join(f"Paragraph {n} about the kettle in room {n}." for n in range(40))
    await client.send_file(chat_id, text.encode(), file_name="notes.txt", mime_type="text/plain")
    await client.send_file(listener, tone_voice_note(1.0), kind="voice", duration=1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not (fake_openai.embedding_requests and fake_openai.audio_requests):
        assert loop.time() < deadline, "the bot never started learning and listening"
        await asyncio.sleep(0.1)
    assert any(p.is_file() for p in (bot.data_dir / "tmp").rglob("*"))  # the download
    await bot.kill()
    fake_openai.clear_faults()

    bot.start()
    interrupted = INTERRUPTED["document"].format(name="notes.txt")
    loop_deadline = loop.time() + TIMEOUT
    while await answers(client, chat_id) != [interrupted]:  # the status message, edited
        assert loop.time() < loop_deadline, await answers(client, chat_id)
        await asyncio.sleep(0.2)
    assert await wait_answers(client, listener, 1) == [INTERRUPTED["voice"]]
    assert bot.documents() == 0  # absent, not half there
    assert list((bot.data_dir / "tmp").iterdir()) == []

    fake_openai.embedding_requests.clear()
    await client.send_file(chat_id, text.encode(), file_name="notes.txt", mime_type="text/plain")
    while not (await answers(client, chat_id))[-1].startswith("Learned notes.txt"):
        assert loop.time() < loop_deadline + TIMEOUT, await answers(client, chat_id)
        await asyncio.sleep(0.2)
    assert bot.documents() == 1
