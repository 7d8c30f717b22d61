"""The sandbox's chats survive a restart when it has a state file, else they live in memory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tgtrainer.sandbox import SandboxClient, SandboxServer

TOKEN = "4242:persistence-test-token"
CHAT = 501


class Running:
    """A started server with a Bot API client (the bot's side) and a user client."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.bot = httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}", timeout=10)
        self.user = SandboxClient(server.url, timeout=10)

    async def call(self, method: str, **params: Any) -> Any:
        body = (await self.bot.post(f"/{method}", json=params)).json()
        assert body["ok"], body
        return body["result"]

    async def close(self) -> None:
        await self.bot.aclose()
        await self.user.aclose()
        await self.server.stop()


async def start(state_path: Path | None) -> Running:
    server = SandboxServer(port=0, tokens=[TOKEN], state_path=state_path)
    await server.start()
    return Running(server)


@pytest.fixture
async def state_path(tmp_path: Path) -> AsyncIterator[Path]:
    yield tmp_path / "data" / "sandbox.sqlite3"


async def fill_a_chat(sandbox: Running) -> dict[str, Any]:
    """A conversation with a bit of everything; returns what a restart must keep."""
    first = await sandbox.user.send_text(CHAT, "Hello there", first_name="Ann")
    updates = await sandbox.call("getUpdates", offset=0, timeout=0)
    await sandbox.call("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0)
    await sandbox.call(
        "setMyCommands", commands=[{"command": "start", "description": "What this bot can do"}]
    )
    reply = await sandbox.call(
        "sendMessage",
        chat_id=CHAT,
        text="<b>Hi</b> Ann, pick one:",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    await sandbox.call(
        "editMessageText",
        chat_id=CHAT,
        message_id=reply["message_id"],
        text="<b>Hi</b> Ann, <i>edited</i>",
        parse_mode="HTML",
    )
    await sandbox.call(
        "setMessageReaction",
        chat_id=CHAT,
        message_id=first["message"]["message_id"],
        reaction=[{"type": "emoji", "emoji": "👍"}],
    )
    gone = await sandbox.call("sendMessage", chat_id=CHAT, text="a preview, deleted later")
    await sandbox.call("deleteMessage", chat_id=CHAT, message_id=gone["message_id"])
    voice = await sandbox.bot.post(
        "/sendVoice",
        data={"chat_id": str(CHAT), "duration": "3"},
        files={"voice": ("reply.ogg", b"OggS fake opus bytes", "audio/ogg")},
    )
    assert voice.json()["ok"], voice.text
    pending = await sandbox.user.send_text(CHAT, "Sent while the bot was away")
    return {
        "messages": await sandbox.user.messages(CHAT),
        "commands": await sandbox.user.commands(),
        "pending_update_id": pending["update_id"],
        "voice_file_id": voice.json()["result"]["voice"]["file_id"],
        "deleted_id": gone["message_id"],
    }


async def test_everything_a_person_saw_is_there_after_a_restart(state_path: Path) -> None:
    sandbox = await start(state_path)
    try:
        before = await fill_a_chat(sandbox)
    finally:
        await sandbox.close()

    sandbox = await start(state_path)
    try:
        after = await sandbox.user.messages(CHAT)
        assert after == before["messages"]
        texts = [m["text"] for m in after]
        assert "a preview, deleted later" not in texts
        [edited] = [m for m in after if m["text"].startswith("Hi Ann")]
        assert edited["html"] == "<b>Hi</b> Ann, <i>edited</i>"
        assert edited["edit_date"] is not None
        assert after[0]["reactions"] == [{"type": "emoji", "emoji": "👍"}]
        assert await sandbox.user.commands() == before["commands"]
        assert await sandbox.call("getMyCommands") == before["commands"]
        assert await sandbox.user.download(before["voice_file_id"]) == b"OggS fake opus bytes"
        file = await sandbox.call("getFile", file_id=before["voice_file_id"])
        raw = await sandbox.bot.get(f"{sandbox.server.url}/file/bot{TOKEN}/{file['file_path']}")
        assert raw.content == b"OggS fake opus bytes"
    finally:
        await sandbox.close()


async def test_unconfirmed_updates_wait_for_the_bot_and_no_id_is_given_twice(
    state_path: Path,
) -> None:
    sandbox = await start(state_path)
    try:
        before = await fill_a_chat(sandbox)
    finally:
        await sandbox.close()

    sandbox = await start(state_path)
    try:
        updates = await sandbox.call("getUpdates", offset=0, timeout=0)
        assert [u["update_id"] for u in updates] == [before["pending_update_id"]]
        assert updates[0]["message"]["text"] == "Sent while the bot was away"

        highest = max(m["message_id"] for m in before["messages"])
        new = await sandbox.user.send_text(CHAT, "One more")
        assert new["update_id"] == before["pending_update_id"] + 1
        assert new["message"]["message_id"] > max(highest, before["deleted_id"])
        stored = await sandbox.bot.post(
            "/sendDocument",
            data={"chat_id": str(CHAT)},
            files={"document": ("notes.txt", b"notes", "text/plain")},
        )
        assert stored.json()["result"]["document"]["file_id"] != before["voice_file_id"]
    finally:
        await sandbox.close()


async def test_the_bot_is_the_same_bot_after_a_restart(state_path: Path) -> None:
    server = SandboxServer(port=0, state_path=state_path)
    server.state.set_bot(777)
    await server.start()
    await server.stop()

    again = SandboxServer(port=0, state_path=state_path)
    assert again.state.bot_id == 777
    await again.start()
    await again.stop()


async def test_without_a_state_file_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sandbox = await start(None)
    try:
        await sandbox.user.send_text(CHAT, "Hello")
        assert sandbox.server.state.store is None
    finally:
        await sandbox.close()
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - a tmp dir listing, in a test

    fresh = await start(None)
    try:
        assert await fresh.user.messages(CHAT) == []
    finally:
        await fresh.close()


async def test_the_state_file_holds_the_html_as_the_bot_sent_it(state_path: Path) -> None:
    sandbox = await start(state_path)
    try:
        await sandbox.user.send_text(CHAT, "Hi")
        await sandbox.call(
            "sendMessage", chat_id=CHAT, text="<code>x &lt; 1</code>", parse_mode="HTML"
        )
    finally:
        await sandbox.close()
    with contextlib.closing(sqlite3.connect(state_path)) as db:
        rows = db.execute("SELECT message, html FROM messages ORDER BY message_id").fetchall()
    assert [json.loads(message)["text"] for message, _ in rows] == ["Hi", "x < 1"]
    assert rows[1][1] == "<code>x &lt; 1</code>"
