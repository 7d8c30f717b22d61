"""Received files are handled in a temporary folder that is removed afterwards, failures included:
the bot's own (in its data directory) and the system's (TMPDIR) stay empty after every upload,
good, bad or cancelled (/cancel while a document downloads or a voice note is heard)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotProcess, running_bot, serving_sandbox
from tests.support.documents import make_pdf
from tgtrainer.bot.running import CANCELLED
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import tone_voice_note

ANSWER_TIMEOUT = 60
PROGRESS = ("Reading", "Learning")
NOTES = b"The ferry leaves at seven from the north pier.\n" * 30


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    """Its own server: the download faults injected here must not meet another bot."""
    with serving_sandbox() as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("temp-files-bot-data")


@pytest.fixture(scope="module")
def temp_dir(data_dir: Path) -> Path:
    """The bot's own temporary folder (emptied on start too: a crash leaves nothing for long)."""
    return data_dir / "tmp"


@pytest.fixture(scope="module")
def system_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-tmp")


@pytest.fixture(scope="module", autouse=True)
def bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    data_dir: Path,
    temp_dir: Path,
    system_temp_dir: Path,
) -> Iterator[BotProcess]:
    with running_bot(
        sandbox_server,
        fake_openai,
        data_dir,
        TMPDIR=str(system_temp_dir),
        MAX_DOCUMENT_MB="1",
        STT_BACKEND="openai",
        STT_LANGUAGE="en",
        VOICE_MAX_SECONDS="5",
    ) as process:
        yield process
    assert list(temp_dir.iterdir()) == []  # and nothing left at exit
    assert list(system_temp_dir.iterdir()) == []  # nor in the system's temporary folder


async def _left_behind(temp_dir: Path) -> list[str]:
    return await asyncio.to_thread(lambda: sorted(p.name for p in temp_dir.rglob("*")))


async def _reply(client: SandboxClient, chat_id: int, send: Any, until: Any) -> str:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=until, timeout=ANSWER_TIMEOUT
    )
    return str(fresh[-1]["text"])


def _settled(messages: list[dict[str, Any]]) -> bool:
    """The status message stopped showing progress (or the bot answered otherwise)."""
    return bool(messages) and not messages[-1]["text"].startswith(PROGRESS)


async def test_a_document_is_read_in_the_bots_temporary_folder_then_removed(
    client: SandboxClient, sandbox_server: SandboxServer, temp_dir: Path, chat_id: int
) -> None:
    # The download waits a moment, long enough to see where the bot put the file.
    await client.inject_fault("download", delay=1.5)
    reply = asyncio.create_task(
        _reply(
            client,
            chat_id,
            client.send_file(chat_id, NOTES, file_name="ferry.txt", mime_type="text/plain"),
            _settled,
        )
    )
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while not any(name.startswith("tgtrainer-doc-") for name in await _left_behind(temp_dir)):
        assert time.monotonic() < deadline, "the bot never used its temporary folder"
        await asyncio.sleep(0.05)
    assert (await reply).startswith("Learned ferry.txt")
    assert await _left_behind(temp_dir) == []


async def _told_stopped(client: SandboxClient, chat_id: int) -> None:
    """Wait until the bot says the work stopped (its status message edited to say so)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        said = [m["text"] for m in await client.messages(chat_id) if m["from_bot"]]
        if CANCELLED in said:
            return
        assert time.monotonic() < deadline, said
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("name", "data", "fault"),
    [
        ("corrupt.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 500, None),
        ("locked.pdf", make_pdf(["secret plans"], password="pw"), None),
        ("huge.txt", b"word " * 320_000, None),  # 1.5 MB: refused before the download
        ("lost.txt", NOTES, 500),  # the download itself fails
    ],
)
async def test_a_failed_document_leaves_nothing(
    client: SandboxClient,
    temp_dir: Path,
    chat_id: int,
    name: str,
    data: bytes,
    fault: int | None,
) -> None:
    if fault is not None:
        await client.inject_fault("download", error_code=fault, description="Internal Error")
    text = await _reply(client, chat_id, client.send_file(chat_id, data, file_name=name), _settled)
    assert not text.startswith("Learned"), text
    assert await _left_behind(temp_dir) == []


@pytest.mark.parametrize(
    ("case", "data", "duration"),
    [
        ("corrupt", b"OggS" + b"\x01broken" * 300, 2),
        ("too long", tone_voice_note(1.0), 10),  # over VOICE_MAX_SECONDS: refused unheard
        ("transcription fails", tone_voice_note(1.0), 1),
        ("download fails", tone_voice_note(1.0), 1),
        ("heard", tone_voice_note(1.0), 1),
    ],
)
async def test_voice_notes_leave_nothing_either(
    client: SandboxClient,
    fake_openai: FakeOpenAIServer,
    temp_dir: Path,
    chat_id: int,
    case: str,
    data: bytes,
    duration: int,
) -> None:
    if case == "transcription fails":
        fake_openai.fail_next(503, count=2, endpoint="transcriptions")
    if case == "download fails":
        await client.inject_fault("download", error_code=500, description="Internal Error")
    try:
        await _reply(
            client,
            chat_id,
            client.send_file(chat_id, data, kind="voice", duration=duration, as_is=True),
            lambda ms: len(ms) >= 1,
        )
    finally:
        fake_openai.clear_faults()
    assert await _left_behind(temp_dir) == []


async def test_a_document_cancelled_while_it_downloads_leaves_nothing(
    client: SandboxClient, temp_dir: Path, system_temp_dir: Path, chat_id: int
) -> None:
    await client.inject_fault("download", delay=5)  # slow enough to be cancelled meanwhile
    await client.send_file(chat_id, NOTES, file_name="slow.txt", mime_type="text/plain")
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while not any(name.startswith("tgtrainer-doc-") for name in await _left_behind(temp_dir)):
        assert time.monotonic() < deadline, "the bot never started the download"
        await asyncio.sleep(0.05)
    await client.send_text(chat_id, "/cancel")
    await _told_stopped(client, chat_id)
    assert await _left_behind(temp_dir) == []
    assert await _left_behind(system_temp_dir) == []
    await asyncio.sleep(5)  # the slow download's time has passed: nothing came back
    assert not any(
        m["text"].startswith("Learned") for m in await client.messages(chat_id) if m["from_bot"]
    )
    assert await _left_behind(temp_dir) == []


async def test_a_voice_note_cancelled_while_it_is_heard_leaves_nothing(
    client: SandboxClient,
    fake_openai: FakeOpenAIServer,
    temp_dir: Path,
    system_temp_dir: Path,
    chat_id: int,
) -> None:
    fake_openai.audio_requests.clear()
    fake_openai.hang_next(30, endpoint="transcriptions")  # heard for as long as it takes
    try:
        await client.send_file(chat_id, tone_voice_note(1.0), kind="voice", duration=1)
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while not fake_openai.audio_requests:
            assert time.monotonic() < deadline, "the bot never sent the voice note to be heard"
            await asyncio.sleep(0.05)
        await client.send_text(chat_id, "/cancel")
        await _told_stopped(client, chat_id)
    finally:
        fake_openai.clear_faults()
    assert await _left_behind(temp_dir) == []
    assert await _left_behind(system_temp_dir) == []
