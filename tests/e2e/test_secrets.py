"""Secrets never leak: a whole session at LOG_LEVEL=DEBUG (text, a document, a voice note, the
model server failing with the key in its error) leaves the bot token and the API key nowhere:
not in the log, the database (raw bytes, the WAL too), the data directory or what the bot sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BOT_TOKEN, BotProcess, bot_environment, serving_sandbox
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import tone_voice_note

ANSWER_TIMEOUT = 60
API_KEY = "sk-test-secret-key-0123456789abcdef"
CHAT = 4242
SECRETS = {
    "the bot token": BOT_TOKEN.encode(),
    "the bot token's secret part": BOT_TOKEN.split(":")[1].encode(),
    "the API key": API_KEY.encode(),
}


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    """This module's own server: every message it holds was sent by this module's bot."""
    with serving_sandbox() as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secrets-bot-data")


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path
) -> Iterator[BotProcess]:
    env = bot_environment(
        sandbox_server,
        fake_openai,
        data_dir,
        LOG_LEVEL="DEBUG",
        OPENAI_API_KEY=API_KEY,
        STT_BACKEND="openai",
        TTS_BACKEND="openai",
        STT_LANGUAGE="en",
    )
    process = BotProcess(env, data_dir.parent / f"{data_dir.name}.log")  # the log stays outside
    process.start()
    yield process
    if process.process is not None and process.process.poll() is None:
        process.stop()


async def _exchange(client: SandboxClient, send: Any, until: Any) -> list[dict[str, Any]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send
    fresh: list[dict[str, Any]] = await client.wait_for_bot_messages(
        CHAT, after_seq=after, until=until, timeout=ANSWER_TIMEOUT
    )
    return fresh


def _leaks(where: str, data: bytes) -> list[str]:
    return [f"{name} in {where}" for name, secret in SECRETS.items() if secret in data]


def _data_dir_leaks(data_dir: Path) -> list[str]:
    files = [path for path in sorted(data_dir.rglob("*")) if path.is_file()]
    assert any(path.name == "tgtrainer.sqlite3" for path in files)
    return [leak for path in files for leak in _leaks(str(path), path.read_bytes())]


async def test_a_whole_session_at_debug_leaks_no_secret(
    bot: BotProcess,
    sandbox_server: SandboxServer,
    client: SandboxClient,
    fake_openai: FakeOpenAIServer,
    data_dir: Path,
) -> None:
    [answer] = await _exchange(
        client, client.send_text(CHAT, "hello, keep my secrets"), lambda ms: len(ms) >= 1
    )
    assert answer["text"] == "You said: hello, keep my secrets"

    notes = b"The spare key is under the blue flowerpot by the back door.\n" * 20
    fresh = await _exchange(
        client,
        client.send_file(CHAT, notes, file_name="notes.txt", mime_type="text/plain"),
        lambda ms: bool(ms) and ms[-1]["text"].startswith("Learned"),
    )
    assert fresh[-1]["text"].startswith("Learned notes.txt")

    fresh = await _exchange(
        client,
        client.send_file(CHAT, tone_voice_note(1.5), kind="voice", duration=2),
        lambda ms: {"text", "voice"} <= {m["kind"] for m in ms},
    )
    assert fake_openai.transcript in " ".join(m["text"] for m in fresh)

    # The model server fails and, as OpenAI's does, quotes the key it was given.
    echo = {"error": {"message": f"Incorrect API key provided: {API_KEY}", "type": "x"}}
    fake_openai.fail_next(500, count=2, body=echo)
    try:
        [error] = await _exchange(
            client, client.send_text(CHAT, "and now fail"), lambda ms: len(ms) >= 1
        )
    finally:
        fake_openai.clear_faults()
    assert "You said" not in error["text"]

    log_while_running = bot.log()
    assert " DEBUG " in log_while_running  # the log really is at DEBUG
    leaks = _data_dir_leaks(data_dir)  # the database's -wal is there while the bot runs
    assert bot.stop() == 0, bot.log()
    leaks += _data_dir_leaks(data_dir)
    leaks += _leaks("the log", bot.log().encode())
    sent = json.dumps(
        [sandbox_server.state.events, sandbox_server.state.messages], default=str
    ).encode()
    leaks += _leaks("what the bot sent", sent)
    leaks += [
        leak
        for stored in sandbox_server.state.files.values()
        for leak in _leaks(f"file {stored.file_id}", stored.data)
    ]
    assert leaks == []
