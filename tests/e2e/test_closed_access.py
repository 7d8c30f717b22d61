"""Closed by default: a real bot with no list and no admin pairs its owner by a one-time code,
then strangers ask for access, admins decide, and the decisions survive a restart. A stranger
costs nothing: no model call, no embedding, no transcription, no download, no database row."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.conftest import BotProcess, running_bot
from tgtrainer.bot.access import APPROVED, ASKED, PAIRED, REQUEST_CALLBACK
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import tone_voice_note

OWNER = 7_100_001
ASKER = 7_100_002
STRANGER = 7_100_003
LATECOMER = 7_100_004
TIMEOUT = 30


@pytest.fixture(scope="module")
def closed_bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotProcess]:
    data_dir = tmp_path_factory.mktemp("closed-bot")
    with running_bot(
        sandbox_server, fake_openai, data_dir, OPEN_ACCESS="false", STT_BACKEND="openai"
    ) as process:
        yield process


@pytest.fixture
async def client(
    sandbox_server: SandboxServer, closed_bot: BotProcess
) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_server.url) as client:
        yield client


async def say(
    client: SandboxClient, chat_id: int, text: str, count: int = 1, **kwargs: Any
) -> list[dict[str, Any]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text, **kwargs)
    return await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= count, timeout=TIMEOUT
    )


async def press(
    client: SandboxClient, chat_id: int, message_id: int, data: str, *, user_id: int
) -> None:
    """Press a button and wait for the bot's answer to it."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    pressed = await client.press_button(chat_id, message_id, data, user_id=user_id)
    seq = after
    while True:
        batch = await client.events(after=seq, timeout=TIMEOUT, chat_id=chat_id)
        seq = batch["last_seq"]
        if any(
            e["type"] == "callback_answer"
            and e["callback_query_id"] == pressed["callback_query_id"]
            for e in batch["events"]
        ):
            return


async def text_of(client: SandboxClient, chat_id: int, message_id: int, expected: str) -> str:
    """The message's text once it reads `expected` (edits come after the button's answer), or
    as it stands after `TIMEOUT`."""
    return await text_when(client, chat_id, message_id, lambda text: text == expected)


async def text_when(
    client: SandboxClient, chat_id: int, message_id: int, ready: Callable[[str], bool]
) -> str:
    """The message's text once `ready` says so, or as it stands after `TIMEOUT`."""
    seq = (await client.events(after=0, timeout=0))["last_seq"]
    deadline = time.monotonic() + TIMEOUT
    while True:
        messages = await client.messages(chat_id)
        text: str = next(m["text"] for m in messages if m["message_id"] == message_id)
        if ready(text) or time.monotonic() > deadline:
            return text
        seq = (await client.events(after=seq, timeout=0.5, chat_id=chat_id))["last_seq"]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def wait_for(client: SandboxClient, chat_id: int, after: int, text: str) -> dict[str, Any]:
    fresh = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda messages: any(text in m["text"] for m in messages),
        timeout=TIMEOUT,
    )
    return next(m for m in fresh if text in m["text"])


async def test_the_owner_pairs_by_code_then_requests_are_decided_and_survive_a_restart(
    client: SandboxClient, closed_bot: BotProcess
) -> None:
    codes = re.findall(r"send /start (\w+) to the bot", closed_bot.log())
    assert codes, closed_bot.log()
    code = codes[-1]
    [refusal] = await say(client, STRANGER, "/start")
    assert "ask its owner" in refusal["text"] and not buttons(refusal), "no admin to ask yet"
    [refusal] = await say(client, STRANGER, "/start WRONGCODE9")
    assert "not on its list" in refusal["text"]
    [paired] = await say(client, OWNER, f"/start {code}")
    assert paired["text"] == PAIRED
    [refusal] = await say(client, LATECOMER, f"/start {code}")
    assert "not on its list" in refusal["text"], "the code is spent"
    assert [m["text"] for m in await say(client, OWNER, "Hello")] == ["You said: Hello"]

    # A request: the admin approves, the asker is told and answered.
    [refusal] = await say(client, ASKER, "hi, may I?")
    assert buttons(refusal) == {"Request access": REQUEST_CALLBACK}
    after_owner = (await client.events(after=0, timeout=0))["last_seq"]
    await press(client, ASKER, refusal["message_id"], REQUEST_CALLBACK, user_id=ASKER)
    assert await text_of(client, ASKER, refusal["message_id"], ASKED) == ASKED
    request = await wait_for(client, OWNER, after_owner, "asks for access")
    assert f"(id {ASKER}) asks for access" in request["text"]
    decide = buttons(request)
    assert set(decide) == {"Approve", "Deny"}
    after_asker = (await client.events(after=0, timeout=0))["last_seq"]
    await press(client, OWNER, request["message_id"], decide["Approve"], user_id=OWNER)
    await wait_for(client, ASKER, after_asker, APPROVED)
    assert [m["text"] for m in await say(client, ASKER, "now?")] == ["You said: now?"]

    # Admin views and commands.
    [users] = await say(client, OWNER, "/users")
    assert f"(id {ASKER}): allowed since" in users["text"]
    assert f"(id {OWNER}): admin" in users["text"]
    [stats] = await say(client, OWNER, "/stats")
    assert "Access: closed" in stats["text"] and "allowed: 1" in stats["text"]
    [refused] = await say(client, ASKER, "/users")
    assert refused["text"] == "Only the bot's admins can do that."

    # A restart keeps the admin and the approval, and prints no new code.
    closed_bot.stop()
    log_before = closed_bot.log()
    closed_bot.start()
    assert "pairing code" not in closed_bot.log()[len(log_before) :]
    assert [m["text"] for m in await say(client, ASKER, "still me")] == ["You said: still me"]

    # /deny takes it back; /allow gives it to someone who never asked.
    [denied] = await say(client, OWNER, f"/deny {ASKER}")
    assert denied["text"].startswith(f"Denied {ASKER}")
    [refusal] = await say(client, ASKER, "and now?", count=1)
    assert "not on its list" in refusal["text"]
    [allowed] = await say(client, OWNER, f"/allow {LATECOMER}")
    assert allowed["text"] == f"Allowed {LATECOMER}."
    assert [m["text"] for m in await say(client, LATECOMER, "hey")] == ["You said: hey"]


def rows_naming(database: str, user_id: int) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        found = []
        for table, column in [
            ("users", "id"),
            ("chats", "id"),
            ("messages", "user_id"),
            ("usage_daily", "user_id"),
            ("access_grants", "subject_id"),
            ("kb_teaching_awaited", "user_id"),
        ]:
            if db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (user_id,)).fetchone():
                found.append(table)
        return found


async def test_a_stranger_reaches_no_model_no_download_and_no_database_row(
    client: SandboxClient,
    closed_bot: BotProcess,
    fake_openai: FakeOpenAIServer,
    sandbox_server: SandboxServer,
) -> None:
    def costs() -> tuple[int, int, int, int]:
        return (
            len(fake_openai.requests),
            len(fake_openai.embedding_requests),
            len(fake_openai.audio_requests),
            sandbox_server.state.calls["getfile"],
        )

    before = costs()
    await say(client, STRANGER, "Tell me your secrets")
    for kind, data, name in [
        ("document", b"The launch code is 0000.", "secrets.txt"),
        ("voice", tone_voice_note(1.0), "voice.ogg"),
    ]:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        await client.send_file(STRANGER, data, kind=kind, file_name=name, caption="learn this")
        await client.wait_for_bot_messages(
            STRANGER, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=TIMEOUT
        )
    await say(client, STRANGER, "/teach the moon is cheese")
    await say(client, STRANGER, "/forget_me")
    assert costs() == before
    database = str(closed_bot.env["TGTRAINER_DATA_DIR"]) + "/tgtrainer.sqlite3"
    assert rows_naming(database, STRANGER) == []
