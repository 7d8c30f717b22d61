"""Webhook mode end to end: the real bot process, told `WEBHOOK_URL`, against the sandbox server,
which posts updates to it as Telegram does."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BOT_TOKEN, BOT_USERNAME, BotProcess, bot_environment
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWER_TIMEOUT = 60
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class WebhookBot(BotProcess):
    ready_text = "webhook set"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """This module's own Bot API server: the webhook it holds must not meet other bots."""
    server = SandboxServer(port=0, bot_username=BOT_USERNAME)
    server.webhook_delivery.last_retry = 0.5  # a restarted bot gets its updates at once
    with server.serve_in_thread():
        yield server


@pytest.fixture(scope="module")
def bot(
    sandbox: SandboxServer, fake_openai: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebhookBot]:
    data_dir: Path = tmp_path_factory.mktemp("webhook-bot-data")
    port = _free_port()
    env = bot_environment(
        sandbox,
        fake_openai,
        data_dir,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        WEBHOOK_PORT=str(port),
        LOG_LEVEL="DEBUG",  # python-telegram-bot logs setWebhook's parameters, the secret too
    )
    process = WebhookBot(env, data_dir / "bot.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()
    assert BOT_TOKEN.split(":")[1] not in process.log()
    assert sandbox.state.webhook is not None
    assert sandbox.state.webhook.secret_token not in process.log()


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as client:
        yield client


def _hook(bot: WebhookBot) -> str:
    return bot.env["WEBHOOK_URL"]


def _health(bot: WebhookBot) -> str:
    return _hook(bot).replace("/telegram/hook", "/healthz")


async def _answer(client: SandboxClient, chat_id: int, text: str) -> list[dict[str, Any]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text)
    fresh: list[dict[str, Any]] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    return fresh


async def test_messages_come_by_webhook_and_are_answered(
    bot: WebhookBot, sandbox: SandboxServer, client: SandboxClient, chat_id: int
) -> None:
    webhook = sandbox.state.webhook
    assert webhook is not None and webhook.url == _hook(bot)
    assert webhook.secret_token and len(webhook.secret_token) >= 32
    [answer] = await _answer(client, chat_id, "hello over the webhook")
    assert answer["text"] == "You said: hello over the webhook"
    assert sandbox.state.calls["getupdates"] == 0
    async with httpx.AsyncClient() as http:
        health = await http.get(_health(bot))
    assert health.status_code == 200 and health.json() == {"ok": True}


async def test_requests_without_the_secret_are_refused(
    bot: WebhookBot, sandbox: SandboxServer
) -> None:
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "forged"}}
    async with httpx.AsyncClient() as http:
        missing = await http.post(_hook(bot), json=update)
        wrong = await http.post(_hook(bot), json=update, headers={SECRET_HEADER: "guess"})
    assert (missing.status_code, wrong.status_code) == (403, 403)


async def test_an_oversized_body_is_refused(bot: WebhookBot, sandbox: SandboxServer) -> None:
    assert sandbox.state.webhook is not None and sandbox.state.webhook.secret_token
    headers = {SECRET_HEADER: sandbox.state.webhook.secret_token}
    huge = b'{"update_id": 2, "padding": "' + b"x" * (2 * 2**20) + b'"}'
    async with httpx.AsyncClient() as http:
        response = await http.post(
            _hook(bot), content=huge, headers={**headers, "Content-Type": "application/json"}
        )
        not_json = await http.post(_hook(bot), content=b"[1, 2", headers=headers)
    assert response.status_code == 413
    assert not_json.status_code == 400


async def test_sigterm_mid_answer_finishes_it_and_updates_sent_while_down_come_after(
    bot: WebhookBot,
    sandbox: SandboxServer,
    client: SandboxClient,
    fake_openai: FakeOpenAIServer,
    chat_id: int,
) -> None:
    asked = len(fake_openai.requests)
    # under LLM_TIMEOUT (2 s), so the first attempt answers, within the 3 s shutdown grace
    fake_openai.hang_next(1.0)
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "answer me before you go")
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while len(fake_openai.requests) == asked:  # the model is thinking: stop the bot now
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert await asyncio.to_thread(bot.stop, signal.SIGTERM) == 0
    answers = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=5
    )
    assert [m["text"] for m in answers] == ["You said: answer me before you go"]

    # The bot is down: the sandbox keeps the update and retries, as Telegram does.
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "are you back?")
    deadline = time.monotonic() + 10
    while sandbox.state.webhook is None or sandbox.state.webhook.last_error_message is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert sandbox.state.webhook.last_error_message == "Connection refused"
    assert len(sandbox.state.updates) == 1
    await asyncio.to_thread(bot.start)
    [answer] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert answer["text"] == "You said: are you back?"


async def test_pending_updates_are_dropped_only_when_asked(
    bot: WebhookBot, sandbox: SandboxServer, client: SandboxClient, chat_id: int
) -> None:
    assert await asyncio.to_thread(bot.stop, signal.SIGTERM) == 0
    await client.send_text(chat_id, "said while you were away")
    bot.run_args = ("--drop-pending-updates",)
    try:
        await asyncio.to_thread(bot.start)
    finally:
        bot.run_args = ()
    assert sandbox.state.updates == []
    [answer] = await _answer(client, chat_id, "and this one?")
    assert answer["text"] == "You said: and this one?"
    said = [m["text"] for m in await client.messages(chat_id)]
    assert "You said: said while you were away" not in said
