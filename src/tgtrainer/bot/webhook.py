"""Webhook mode: Telegram POSTs each update to us; a small aiohttp server checks and queues it.

python-telegram-bot's own `Updater.start_webhook` (tornado) checks the secret token but has no
body size limit of its own (tornado's is 100 MB) and no health check, so the few lines here do
all three with aiohttp, already a dependency, and hand updates to the same `update_queue` that
polling fills: everything after that is the same in both modes.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 2**20
"""Updates are a few kilobytes (a 4096-character message with its entities is under 100 kB)."""
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram posts (`url`) and where this process listens; the secret is new each run."""

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def path(self) -> str:
        """The local path served: the URL's own (a reverse proxy passes it through)."""
        return urlsplit(self.url).path or "/"


class WebhookServer:
    """Serves `config.path` (updates) and /healthz until `stop()`."""

    def __init__(self, application: Application, config: WebhookConfig) -> None:  # type: ignore[type-arg]
        self._application = application
        self._config = config
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.add_routes(
            [web.post(self._config.path, self._update), web.get(HEALTH_PATH, self._health)]
        )
        # shutdown_timeout: a request being read when we stop gets this long to be queued
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._config.listen, self._config.port).start()

    async def stop(self) -> None:
        """Stop taking updates; Telegram keeps the rest and delivers them when we are back."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._config.secret_token.encode()):
            return web.json_response({"error": "wrong secret token"}, status=403)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            data: Any = json.loads(await request.read())  # over the limit: aiohttp answers 413
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            return web.json_response({"error": "not a JSON object"}, status=400)
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception:  # answered 200 all the same: Telegram would send it again forever
            log.exception("dropped an update that is not one: %.200r", data)
            return web.Response()
        await self._application.update_queue.put(update)
        return web.Response()

    async def _health(self, request: web.Request) -> web.Response:
        up = self._application.running
        return web.json_response({"ok": up}, status=200 if up else 503)
