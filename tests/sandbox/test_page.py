"""The web chat page is served by the sandbox as plain files, and says how the bot is doing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tgtrainer.sandbox import SandboxServer
from tgtrainer.sandbox.page import page_files

PAGE_BUDGET_BYTES = 200 * 1024


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(port=0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


async def test_the_page_and_everything_it_loads_are_served(http: httpx.AsyncClient) -> None:
    index = await http.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    for asset, kind in (("/static/app.js", "text/javascript"), ("/static/style.css", "text/css")):
        assert asset in index.text
        response = await http.get(asset)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
    script = (await http.get("/static/app.js")).text
    for module in re.findall(r'from "\./([\w.]+\.js)"', script):
        imported = await http.get(f"/static/{module}")
        assert imported.status_code == 200
        assert imported.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("path", ["/static/nothing.js", "/static/..%2Fserver.py", "/static/x.py"])
async def test_nothing_else_is_served(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(path)).status_code == 404


def test_the_page_weighs_less_than_its_budget() -> None:
    files = page_files()
    assert {"index.html", "app.js", "style.css"} <= set(files)
    assert sum(len(data) for data in files.values()) < PAGE_BUDGET_BYTES


async def test_the_status_says_whether_the_bot_is_polling(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    status = (await http.get("/sandbox/api/status")).json()
    assert status["bot"]["connected"] is False

    poll = asyncio.create_task(http.get("/bot123:abc/getUpdates", params={"timeout": 5}))
    for _ in range(500):  # until the long poll is in (bounded)
        if server.state.polls_waiting:
            break
        await asyncio.sleep(0.01)
    status = (await http.get("/sandbox/api/status")).json()
    assert status["bot"]["connected"] is True
    assert status["bot"]["username"] == "tgtrainer_bot"
    await http.post("/sandbox/api/messages", json={"chat_id": 5, "text": "hi"})
    assert (await poll).json()["ok"]
    assert (await http.get("/sandbox/api/status")).json()["last_seq"] == 1


async def test_the_chats_are_listed(http: httpx.AsyncClient) -> None:
    await http.post("/sandbox/api/messages", json={"chat_id": 5, "text": "hi"})
    await http.post(
        "/sandbox/api/messages",
        json={"chat_id": -9, "text": "hello all", "chat_title": "Team", "user_id": 5},
    )
    chats = (await http.get("/sandbox/api/chats")).json()["chats"]
    assert [(c["id"], c["type"]) for c in chats] == [(5, "private"), (-9, "group")]
    assert chats[1]["title"] == "Team"


async def test_a_page_opened_mid_reply_gets_the_draft_being_written(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/sandbox/api/messages", json={"chat_id": 5, "text": "hi"})
    bot = "/bot123:abc"
    draft = {"chat_id": 5, "draft_id": 7, "text": "<b>Half</b> a rep", "parse_mode": "HTML"}
    assert (await http.post(f"{bot}/sendMessageDraft", json=draft)).json()["ok"]
    chat = (await http.get("/sandbox/api/chats/5/messages")).json()
    assert [(d["draft_id"], d["html"]) for d in chat["drafts"]] == [(7, "<b>Half</b> a rep")]

    await http.post(f"{bot}/sendMessage", json={"chat_id": 5, "text": "Half a reply, done."})
    chat = (await http.get("/sandbox/api/chats/5/messages")).json()
    assert chat["drafts"] == []
    assert [m["text"] for m in chat["messages"]] == ["hi", "Half a reply, done."]


async def test_files_are_served_in_byte_ranges_as_audio_players_ask(
    http: httpx.AsyncClient,
) -> None:
    upload = await http.post(
        "/sandbox/api/files",
        data={"chat_id": "5", "kind": "document"},
        files={"file": ("digits.txt", b"0123456789", "text/plain")},
    )
    url = f"/sandbox/api/files/{upload.json()['message']['file_id']}"
    whole = await http.get(url)
    assert (whole.status_code, whole.content) == (200, b"0123456789")
    assert whole.headers["accept-ranges"] == "bytes"
    for asked, part, shown in [
        ("bytes=2-4", b"234", "bytes 2-4/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-2", b"89", "bytes 8-9/10"),
    ]:
        response = await http.get(url, headers={"Range": asked})
        assert (response.status_code, response.content) == (206, part)
        assert response.headers["content-range"] == shown
    assert (await http.get(url, headers={"Range": "bytes=20-"})).status_code == 416


async def test_another_web_site_cannot_chat_through_the_visitors_browser(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    body = {"chat_id": 5, "text": "sent by another site"}
    refused = await http.post(
        "/sandbox/api/messages", json=body, headers={"Origin": "http://evil.example"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "Requests from other sites are refused."
    assert server.state.messages.get(5, {}) == {}

    own = await http.post("/sandbox/api/messages", json=body, headers={"Origin": server.url})
    assert own.status_code == 200
    assert (await http.get("/sandbox/api/status", headers={"Origin": "http://x"})).is_success
