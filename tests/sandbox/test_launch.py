"""`tgtrainer sandbox` as a person runs it: one process, the server, the page and the real bot."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.sandbox_process import SandboxProcess, sandbox_environment
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWER_TIMEOUT = 30
ALICE = 1001


@pytest.fixture
def sandbox(fake_openai: FakeOpenAIServer, tmp_path: Path) -> Iterator[SandboxProcess]:
    process = SandboxProcess(sandbox_environment(fake_openai, tmp_path / "data"), tmp_path)
    yield process
    if process.process is not None and process.process.poll() is None:
        process.stop()


async def ask(client: SandboxClient, text: str) -> list[dict[str, object]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(ALICE, text, first_name="Alice")
    return await client.wait_for_bot_messages(
        ALICE, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )


def listening_addresses(pid: int) -> set[str]:
    connections = psutil.Process(pid).net_connections(kind="inet")
    return {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}


def test_it_listens_on_127_0_0_1_only_and_serves_the_page(sandbox: SandboxProcess) -> None:
    url = sandbox.start()
    assert url.startswith("http://127.0.0.1:")
    assert sandbox.process is not None
    assert listening_addresses(sandbox.process.pid) == {"127.0.0.1"}
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "tgtrainer sandbox" in page.text
    status = httpx.get(f"{url}/sandbox/api/status", timeout=10).json()
    assert status["model"] == {"state": "ready", "backend": "openai"}


def test_another_address_only_when_asked_and_with_a_warning(
    fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    process = SandboxProcess(
        sandbox_environment(fake_openai, tmp_path / "data"),
        tmp_path,
        "--host",
        "127.0.0.2",
        "--port",
        "0",
    )
    try:
        url = process.start()
        assert url.startswith("http://127.0.0.2:")
        assert process.process is not None
        assert listening_addresses(process.process.pid) == {"127.0.0.2"}
        assert "warning: listening on 127.0.0.2" in process.log()
    finally:
        assert process.stop() == 0


def test_the_port_comes_from_sandbox_port(fake_openai: FakeOpenAIServer, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    process = SandboxProcess(
        sandbox_environment(fake_openai, tmp_path / "data", SANDBOX_PORT=str(free_port)),
        tmp_path,
        "--host",
        "127.0.0.1",
    )
    try:
        assert process.start() == f"http://127.0.0.1:{free_port}"
    finally:
        assert process.stop() == 0


def test_a_busy_port_is_one_clear_line(fake_openai: FakeOpenAIServer, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = SandboxProcess(
            sandbox_environment(fake_openai, tmp_path / "data"), tmp_path, "--port", str(port)
        )
        with pytest.raises(RuntimeError, match="exited at start"):
            process.start()
        assert process.stop() == 2
    assert f"Cannot start: cannot listen on 127.0.0.1:{port}" in process.log()
    assert "Traceback" not in process.log()


async def test_a_restart_keeps_the_chats_and_the_bot_remembers(
    sandbox: SandboxProcess, fake_openai: FakeOpenAIServer
) -> None:
    url = await asyncio.to_thread(sandbox.start)
    async with SandboxClient(url) as client:
        [first] = await ask(client, "My favourite colour is teal.")
        assert first["text"] == "You said: My favourite colour is teal."
        before = await client.messages(ALICE)
        commands = await client.commands()
    assert await asyncio.to_thread(sandbox.stop, signal.SIGINT) == 0

    url = await asyncio.to_thread(sandbox.start)
    async with SandboxClient(url) as client:
        assert await client.messages(ALICE) == before
        assert await client.commands() == commands
        [second] = await ask(client, "What is my favourite colour?")
        assert second["text"] == "You said: What is my favourite colour?"
        assert second["message_id"] > before[-1]["message_id"]
    history = [m["content"] for m in fake_openai.requests[-1]["messages"][1:]]
    assert history == [
        "My favourite colour is teal.",
        "You said: My favourite colour is teal.",
        "What is my favourite colour?",
    ]
    assert await asyncio.to_thread(sandbox.stop, signal.SIGTERM) == 0
    assert "Traceback" not in sandbox.log()


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("OPENAI_API_KEY", "", "OPENAI_API_KEY: missing"),
        ("TGTRAINER_DATA_DIR", "/proc/no-such-dir/data", "cannot open /proc/no-such-dir/data"),
    ],
)
def test_what_cannot_start_is_one_clear_line(
    fake_openai: FakeOpenAIServer, tmp_path: Path, setting: str, value: str, says: str
) -> None:
    env = sandbox_environment(fake_openai, tmp_path / "data")
    env.pop("OPENAI_BASE_URL")
    env[setting] = value
    if not value:
        env.pop(setting)
    process = SandboxProcess(env, tmp_path)
    with pytest.raises(RuntimeError, match="exited at start"):
        process.start()
    assert process.stop() == 2
    errors = process.err_path.read_text()
    assert f"Cannot start: {says}" in errors
    assert "Traceback" not in errors
