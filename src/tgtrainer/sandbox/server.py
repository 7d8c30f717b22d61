"""The sandbox server: a Telegram Bot API server and its user side, on 127.0.0.1.

The bot reaches it with `TELEGRAM_API_URL=<server.url>`, exactly as it reaches api.telegram.org;
people (the web page, tests, benchmarks) use the JSON API under /sandbox/api/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from tgtrainer.sandbox.botapi import BotApiError, call, decode_parameters
from tgtrainer.sandbox.page import page_routes
from tgtrainer.sandbox.state import SandboxState
from tgtrainer.sandbox.store import SandboxStore
from tgtrainer.sandbox.userapi import UserApi
from tgtrainer.sandbox.webhook import WebhookDelivery

log = logging.getLogger(__name__)
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_TOKEN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")


class SandboxServer:
    """Start with `await start()` (or `serve_in_thread()`), stop with `await stop()`.

    `tokens` limits which bot tokens are accepted; by default any well-formed token is, and the
    bot's id is the number in front of the first one used. With `state_path` the chats live in
    that SQLite file and survive a restart; without it they live in memory only.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "tgtrainer_bot",
        tokens: Sequence[str] | None = None,
        state_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tokens = set(tokens) if tokens else None
        first_id = int(next(iter(tokens)).split(":")[0]) if tokens else 0
        self.state = SandboxState(bot_id=first_id, bot_username=bot_username)
        if state_path is not None:
            self.state.attach(SandboxStore(state_path))
        self.user_api = UserApi(self.state)
        self.webhook_delivery = WebhookDelivery(self.state)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def application(self) -> web.Application:
        app = web.Application(client_max_size=64 * 2**20, middlewares=[_same_origin_only])
        app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self._bot_api),
                web.get("/file/bot{token}/{file_path:.+}", self._file),
                *self.user_api.routes(),
                *page_routes(),
            ]
        )
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        await self.webhook_delivery.start()

    async def stop(self) -> None:
        await self.webhook_delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.state.store is not None:
            self.state.store.close()
            self.state.store = None

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[SandboxServer]:
        """Run the server on its own event loop in a thread, for synchronous callers."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        thread = threading.Thread(target=loop.run_forever, name="sandbox-server", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(30)
            started.set()
            yield self
        finally:
            if started.is_set():
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(30)
            asyncio.run_coroutine_threadsafe(_cancel_leftovers(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            loop.close()

    def _authorised(self, token: str) -> bool:
        match = _TOKEN.match(token)
        if match is None or (self.tokens is not None and token not in self.tokens):
            return False
        if not self.state.bot_id:
            self.state.set_bot(int(match.group(1)))
        return int(match.group(1)) == self.state.bot_id

    async def _bot_api(self, request: web.Request) -> web.Response:
        if not self._authorised(request.match_info["token"]):
            return _error(401, "Unauthorized")
        try:
            params = decode_parameters(await _parameters(request))
            result = await call(self.state, request.match_info["method"], params)
        except BotApiError as error:
            return _error(error.error_code, error.description, error.retry_after)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request.match_info["token"]):
            return _error(401, "Unauthorized")
        fault = self.state.take_fault("download")  # a file download, faulted like a method
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.error_code:
                return _error(fault.error_code, fault.description)
        stored = self.state.file_by_path(request.match_info["file_path"])
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")


@web.middleware
async def _same_origin_only(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Refuse what another web site's page sends to the user API from a browser.

    Scripts and tests send no Origin; browsers always do on a cross-site POST, and a plain form
    post or a `no-cors` fetch needs no preflight, so without this any page could chat here.
    """
    origin = request.headers.get("Origin")
    if (
        origin is not None
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and request.path.startswith("/sandbox/api/")
        and urlsplit(origin).netloc != request.host
    ):
        return web.json_response({"error": "Requests from other sites are refused."}, status=403)
    return await handler(request)


async def _cancel_leftovers() -> None:
    """Cancel what still runs on the server's loop (long polls), so it closes quietly."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


async def _parameters(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update(await request.post())
    return params


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)
