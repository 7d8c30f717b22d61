"""The sandbox delivers updates to a webhook as Telegram does: POST, secret header, retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tgtrainer.sandbox import SandboxClient, SandboxServer

TOKEN = "4343:webhook-test-token"
SECRET = "s3cret_Token-1"


class Receiver:
    """A webhook on 127.0.0.1 that records what it gets and answers `statuses` first, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.post("/hook", self._hook)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            self.received.append(
                {
                    "secret": request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                    "content_type": request.content_type,
                    "update": await request.json(),
                    "at": time.monotonic(),
                }
            )
            return web.Response(status=self.statuses.pop(0) if self.statuses else 200)
        finally:
            self.in_flight -= 1

    def texts(self) -> list[str]:
        return [r["update"]["message"]["text"] for r in self.received if "message" in r["update"]]


class Sandbox:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.bot = httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}", timeout=10)
        self.user = SandboxClient(server.url, timeout=10)

    async def call(self, method: str, **params: Any) -> Any:
        body = (await self.bot.post(f"/{method}", json=params)).json()
        assert body["ok"], body
        return body["result"]

    async def refused(self, method: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = (await self.bot.post(f"/{method}", json=params)).json()
        assert not body["ok"], body
        return body


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


async def _start(state_path: Path | None = None) -> Sandbox:
    server = SandboxServer(port=0, tokens=[TOKEN], state_path=state_path)
    server.webhook_delivery.first_retry = 0.05
    server.webhook_delivery.last_retry = 0.4
    await server.start()
    return Sandbox(server)


async def _close(sandbox: Sandbox) -> None:
    await sandbox.bot.aclose()
    await sandbox.user.aclose()
    await sandbox.server.stop()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = await _start()
    yield sandbox
    await _close(sandbox)


async def _until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_updates_are_posted_as_json_with_the_secret_and_getupdates_is_refused(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    assert await sandbox.call("setWebhook", url=receiver.url, secret_token=SECRET)
    await sandbox.user.send_text(701, "hello webhook")
    await _until(lambda: receiver.received)
    [delivery] = receiver.received
    assert delivery["secret"] == SECRET and delivery["content_type"] == "application/json"
    assert delivery["update"]["message"]["text"] == "hello webhook"
    assert isinstance(delivery["update"]["update_id"], int)

    refused = await sandbox.refused("getUpdates", timeout=0)
    assert refused["error_code"] == 409
    assert "webhook is active" in refused["description"]
    info = await sandbox.call("getWebhookInfo")
    assert info["url"] == receiver.url and info["pending_update_count"] == 0
    assert "last_error_date" not in info

    assert await sandbox.call("deleteWebhook")
    await sandbox.user.send_text(701, "by polling again")
    [update] = await sandbox.call("getUpdates", timeout=0)
    assert update["message"]["text"] == "by polling again"
    assert (await sandbox.call("getWebhookInfo"))["url"] == ""


async def test_a_long_poll_is_ended_by_setwebhook(sandbox: Sandbox, receiver: Receiver) -> None:
    poll = asyncio.create_task(sandbox.bot.post("/getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.2)
    await sandbox.call("setWebhook", url=receiver.url)
    body = (await poll).json()
    assert body["error_code"] == 409 and "terminated by setWebhook" in body["description"]


async def test_failed_deliveries_are_retried_with_growing_pauses_and_reported(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.statuses = [500, 502, 500]
    await sandbox.call("setWebhook", url=receiver.url, secret_token=SECRET)
    await sandbox.user.send_text(702, "try again")
    await _until(lambda: len(receiver.received) == 4)
    assert receiver.texts() == ["try again"] * 4
    gaps = [
        b["at"] - a["at"] for a, b in zip(receiver.received, receiver.received[1:], strict=False)
    ]
    assert gaps[0] >= 0.04 and gaps[2] > gaps[0]  # backoff: each pause longer than the last
    info = await sandbox.call("getWebhookInfo")
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert abs(info["last_error_date"] - time.time()) < 60


async def test_an_unreachable_webhook_keeps_the_updates_until_it_answers(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    url = receiver.url
    await receiver.stop()  # the bot is down
    await sandbox.call("setWebhook", url=url)
    await sandbox.user.send_text(703, "are you there?")
    await _until(lambda: sandbox.server.state.webhook.last_error_message is not None)  # type: ignore[union-attr]
    info = await sandbox.call("getWebhookInfo")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"
    back = Receiver()
    back.url = url
    app = web.Application()
    app.add_routes([web.post("/hook", back._hook)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await _until(lambda: back.received)
        assert back.texts() == ["are you there?"]
        await _until(lambda: sandbox.server.state.updates == [])
    finally:
        await runner.cleanup()


async def test_one_chat_in_order_other_chats_alongside(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.delay = 0.5
    receiver.statuses = [503]  # the first delivery fails: its chat waits, the other does not
    await sandbox.call("setWebhook", url=receiver.url, max_connections=10)
    for n in range(3):
        await sandbox.user.send_text(704, f"a{n}")
    await sandbox.user.send_text(705, "b0")
    await _until(lambda: len(receiver.received) == 5)
    texts = receiver.texts()
    assert [t for t in texts if t.startswith("a")] == ["a0", "a0", "a1", "a2"]
    assert texts.index("b0") < texts.index("a1")  # chat 705 did not wait for chat 704
    assert receiver.most_in_flight == 2  # one per chat


async def test_max_connections_limits_deliveries_at_once(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.delay = 0.5
    await sandbox.call("setWebhook", url=receiver.url, max_connections=2)
    for chat in range(710, 716):
        await sandbox.user.send_text(chat, "hi")
    await _until(lambda: len(receiver.received) == 6)
    assert receiver.most_in_flight == 2


async def test_pending_updates_are_dropped_only_when_asked(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    await sandbox.user.send_text(720, "kept")
    await sandbox.call("setWebhook", url=receiver.url)
    await _until(lambda: receiver.texts() == ["kept"])
    await sandbox.call("deleteWebhook")
    await sandbox.user.send_text(720, "dropped")
    await sandbox.call("setWebhook", url=receiver.url, drop_pending_updates=True)
    await sandbox.user.send_text(720, "after")
    await _until(lambda: len(receiver.received) == 2)
    assert receiver.texts() == ["kept", "after"]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"url": "ftp://example.org/hook"}, "bad webhook"),
        ({"url": "https://example.org/hook", "secret_token": "no spaces"}, "unallowed characters"),
        ({"url": "https://example.org/hook", "max_connections": 101}, "max_connections"),
    ],
)
async def test_a_bad_setwebhook_is_refused(
    sandbox: Sandbox, params: dict[str, Any], description: str
) -> None:
    body = await sandbox.refused("setWebhook", **params)
    assert body["error_code"] == 400 and description in body["description"]
    assert sandbox.server.state.webhook is None


async def test_the_webhook_and_its_pending_updates_survive_a_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    state_path = tmp_path / "sandbox.sqlite3"
    sandbox = await _start(state_path)
    receiver.statuses = [500] * 1000  # never taken before the restart
    try:
        await sandbox.call("setWebhook", url=receiver.url, secret_token=SECRET)
        await sandbox.user.send_text(730, "across a restart")
        await _until(lambda: receiver.received)
    finally:
        await _close(sandbox)
    receiver.statuses = []
    sandbox = await _start(state_path)
    try:
        await _until(lambda: receiver.received[-1]["update"] == receiver.received[0]["update"])
        await _until(lambda: sandbox.server.state.updates == [])
        assert receiver.received[-1]["secret"] == SECRET
        assert (await sandbox.call("getWebhookInfo"))["url"] == receiver.url
    finally:
        await _close(sandbox)
    sandbox = await _start(state_path)  # delivered once: nothing comes again
    try:
        assert sandbox.server.state.updates == []
    finally:
        await _close(sandbox)
