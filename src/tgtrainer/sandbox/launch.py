"""`tgtrainer sandbox`: the sandbox server, the web chat page and the real bot, in one process.

The page is served first, so it answers within a second or two; the bot (exactly `run_bot`, as
`tgtrainer run` starts it) connects next, and its chat model loads in the background while the
page says so. The bot's database and the sandbox's chats live in the same data directory, so a
restart finds both as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import random
import signal
import sqlite3
from collections.abc import Callable

from pydantic import SecretStr

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.sandbox.model_status import ObservedChatModel
from tgtrainer.sandbox.server import SandboxServer

STATE_FILE_NAME = "sandbox.sqlite3"
LOOPBACK = "127.0.0.1"
_WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


class SandboxStartError(Exception):
    """The sandbox could not start for a reason the user can fix; the message says which."""


def page_url(host: str, port: int) -> str:
    shown = LOOPBACK if host in _WILDCARDS else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


async def run_sandbox(
    settings: Settings,
    *,
    host: str,
    port: int,
    token_secret: str,
    announce: Callable[[str], None],
) -> None:
    """Serve until SIGINT/SIGTERM; `announce` gets the page's address once it answers."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    state_path = settings.data_dir / STATE_FILE_NAME
    try:
        server = SandboxServer(host=host, port=port, state_path=state_path)
    except (OSError, sqlite3.Error) as error:
        raise SandboxStartError(f"cannot open {state_path}: {error}") from None
    if not server.state.bot_id:
        server.state.set_bot(random.randint(10**9, 8 * 10**9))
    token = f"{server.state.bot_id}:{token_secret}"
    server.tokens = {token}
    try:
        await server.start()
    except OSError as error:
        await server.stop()
        raise SandboxStartError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    try:
        url = page_url(host, server.port)
        announce(url)
        bot_settings = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(token),
                "telegram_api_url": page_url(LOOPBACK if host in _WILDCARDS else host, server.port),
                "telegram_rate_limit": False,
                # The owner's own machine: everyone on the page is the owner.
                "open_access": True,
            }
        )
        await _run_bot(bot_settings, server, stop)
    finally:
        await server.stop()


async def _run_bot(settings: Settings, server: SandboxServer, stop: asyncio.Event) -> None:
    # Importing telegram takes a moment: do it off the loop so the page keeps answering.
    await asyncio.to_thread(importlib.import_module, "tgtrainer.bot.runner")
    from tgtrainer.bot.runner import BotStartError, run_bot
    from tgtrainer.llm.factory import build_chat_model

    if stop.is_set():
        return
    try:
        model = ObservedChatModel(
            build_chat_model(settings), server.state.model_status, settings.llm_backend
        )
    except ConfigurationError as error:
        raise SandboxStartError(str(error)) from None
    try:
        await run_bot(settings, stop, model=model)
    except BotStartError as error:
        raise SandboxStartError(str(error)) from None
