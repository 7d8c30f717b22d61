"""The data directory's storage full, end to end: the real bot with a small `DATABASE_MAX_MB`
(reaching it is SQLite's SQLITE_FULL, exactly what a full disk says).

The user who fills it is told so in one clear sentence, never "Something went wrong"; the log
has one error line for each, no traceback; the database stays sound; other chats go on reading
(/help, /docs); a document that does not fit is absent, not half kept; and once the owner frees
space (`tgtrainer users delete`), the next message is answered again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import BotProcess, bot_environment
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.storage import StorageFullError
from tgtrainer.testing.fake_openai import FakeOpenAIServer

TIMEOUT = 45
FULL = StorageFullError.user_message
INTERNAL_ERROR = "Something went wrong on my side. Please try again."
LONG = ("The quick brown fox jumps over the lazy dog. " * 85).strip()  # 3.8 KB, and its echo
CAP_MB = "0.3"  # the empty database is ~0.2 MB: about a dozen long exchanges fit


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path
) -> dict[str, str]:
    return bot_environment(sandbox_server, fake_openai, data_dir, DATABASE_MAX_MB=CAP_MB)


@pytest.fixture
def bot(env: dict[str, str], data_dir: Path) -> Iterator[BotProcess]:
    process = BotProcess(env, data_dir.parent / "bot.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture
async def client(sandbox_server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_server.url) as client:
        yield client


async def answers(client: SandboxClient, chat_id: int) -> list[str]:
    return [
        m.get("text") or m.get("caption") or ""
        for m in await client.messages(chat_id)
        if m["from_bot"]
    ]


async def said(client: SandboxClient, chat_id: int, text: str, expected: tuple[str, ...]) -> str:
    """Send `text`; the bot's last message once it is one of `expected` (or begins so)."""
    before = len(await answers(client, chat_id))
    await client.send_text(chat_id, text)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        shown = await answers(client, chat_id)
        if len(shown) > before and shown[-1].startswith(expected):
            await asyncio.sleep(0.3)  # a wrong extra message would come now
            return (await answers(client, chat_id))[-1]
        assert loop.time() < deadline, f"chat {chat_id}: {shown[before:]!r}"
        await asyncio.sleep(0.1)


def integrity(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "tgtrainer.sqlite3") as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def documents(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "tgtrainer.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM kb_documents").fetchone()[0])


async def test_a_full_storage_is_told_clearly_and_the_bot_keeps_serving(
    bot: BotProcess, client: SandboxClient, env: dict[str, str], data_dir: Path, chat_id: int
) -> None:
    filler, reader = chat_id, chat_id * 1000
    for number in range(80):
        text = f"{number} {LONG}"
        if await said(client, filler, text, (f"You said: {text}", FULL)) == FULL:
            break
    else:
        raise AssertionError("the cap never stopped the bot from keeping messages")
    told = 1
    assert INTERNAL_ERROR not in await answers(client, filler)

    # Reads go on: another chat asks for help and for its documents.
    assert await said(client, reader, "/help", ("Commands:",))
    assert await said(client, reader, "/docs", ("I have no documents",))
    # A document that does not fit is refused whole, its download removed.
    before = len(await answers(client, filler))
    text = "\n\n".join(f"Paragraph {n} about the kettle in room {n}." for n in range(2000))
    await client.send_file(filler, text.encode(), file_name="notes.txt", mime_type="text/plain")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (await answers(client, filler))[-1] != FULL or len(
        await answers(client, filler)
    ) == before:
        assert loop.time() < deadline, (await answers(client, filler))[before:]
        await asyncio.sleep(0.2)
    told += 1
    assert documents(data_dir) == 0
    assert list((data_dir / "tmp").iterdir()) == []
    # Still full: the same sentence again, not a crash.
    assert await said(client, filler, LONG, (f"You said: {LONG}", FULL)) == FULL
    told += 1
    assert integrity(data_dir) == "ok"

    # The owner frees space while the bot runs; the next message is kept and answered.
    freed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tgtrainer", "users", "delete", str(filler), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert freed.returncode == 0, freed.stderr
    assert await said(client, filler, "Hello again", ("You said: Hello again", FULL)) == (
        "You said: Hello again"
    )

    log = bot.log()
    assert "Traceback" not in log
    assert INTERNAL_ERROR not in await answers(client, filler)
    assert INTERNAL_ERROR not in await answers(client, reader)
    alerts = [line for line in log.splitlines() if " ERROR " in line]
    assert len(alerts) == told, alerts  # one error line for each time it was told
    assert all("StorageFullError" in line for line in alerts), alerts
    assert integrity(data_dir) == "ok"
