"""Shared fixtures: the sandbox Bot API server, the fake OpenAI server, and the real bot process."""

from __future__ import annotations

import contextlib
import itertools
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tgtrainer.core.grounding import QUESTION_LABEL
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.openai_wire import message_text

BOT_TOKEN = "123456:sandbox-secret-token"
BOT_USERNAME = "tgtrainer_bot"
LOG_TAIL = 20_000  # characters of a bot's log shown under a failed test
SCRIPTS: dict[str, str] = {}
"""Replies the fake model gives to exact questions (after any passages); anything else is
echoed."""


def asked(content: str) -> str:
    """The user's question in the text of the message the model got: after any passages."""
    return content.rpartition(f"\n\n{QUESTION_LABEL}")[2]


def scripted_reply(messages: list[dict[str, Any]], model: str) -> str:
    question = asked(message_text(messages[-1]["content"]))  # a picture's message: its text
    return SCRIPTS.get(question, f"You said: {question}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test shows the end of the log of each bot process it used: the log's folder is
    gone by the time anyone reads the failure."""
    report = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, BotProcess):
                report.sections.append((f"{name}: the bot's log (end)", value.log()[-LOG_TAIL:]))
    return report


@contextlib.contextmanager
def serving_sandbox() -> Iterator[SandboxServer]:
    """A sandbox Bot API server on a free port for the block."""
    server = SandboxServer(port=0, bot_username=BOT_USERNAME)
    with server.serve_in_thread():
        yield server


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The server the e2e modules share; a module that needs one of its own overrides this
    fixture with `serving_sandbox()` at module scope."""
    with serving_sandbox() as server:
        yield server


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(reply=scripted_reply)
    with server.serve_in_thread():
        yield server


_chat_ids = itertools.count(1000)


@pytest.fixture
def chat_id() -> int:
    """A private chat nobody else uses (the id is also the user's id)."""
    return next(_chat_ids)


class BotProcess:
    """`tgtrainer run` as a real process, with its log in a file."""

    ready_text = "polling"
    """What the log says once the bot takes updates ("webhook set" in webhook mode)."""
    run_args: tuple[str, ...] = ()
    """Options after `tgtrainer run`."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 60) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tgtrainer", "run", *self.run_args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + ready_timeout
        while self.ready_text not in self.log()[offset:]:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited at start:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot did not start:\n{self.log()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def bot_environment(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path, **extra: str
) -> dict[str, str]:
    """`tgtrainer run` against the sandbox and the fake model, quick to time out and stream."""
    defaults = {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": sandbox_server.url,
        "TELEGRAM_RATE_LIMIT": "false",
        "LLM_TIMEOUT": "2",
        "LLM_MAX_RETRIES": "1",
        "LOG_LEVEL": "INFO",
        "STREAM_INTERVAL_PRIVATE": "0.2",
        "STREAM_INTERVAL_GROUP": "0.5",
        # speech models only where a test asks for them (tests/e2e/test_voice.py)
        "STT_BACKEND": "off",
        "TTS_BACKEND": "off",
    }
    return fake_model_environment(fake_openai.base_url, data_dir, **{**defaults, **extra})


@contextlib.contextmanager
def running_bot(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path, **extra: str
) -> Iterator[BotProcess]:
    """`tgtrainer run` against both servers for the block; it must stop cleanly (exit 0) and
    never log its token (Telegram file URLs carry it)."""
    process = BotProcess(
        bot_environment(sandbox_server, fake_openai, data_dir, **extra), data_dir / "bot.log"
    )
    process.start()
    yield process
    assert process.stop() == 0, process.log()
    assert BOT_TOKEN.split(":")[1] not in process.log()


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[BotProcess]:
    """One bot process for a test module (tests use their own chats), with the module's
    `BOT_SETTINGS` (environment variables over `bot_environment`'s) where it has them."""
    settings: dict[str, str] = getattr(request.module, "BOT_SETTINGS", {})
    data_dir = tmp_path_factory.mktemp("bot-data")
    with running_bot(sandbox_server, fake_openai, data_dir, **settings) as process:
        yield process


@pytest.fixture
async def client(sandbox_server: SandboxServer) -> AsyncIterator[SandboxClient]:
    """A Telegram user's side of the sandbox server."""
    async with SandboxClient(sandbox_server.url) as client:
        yield client
