"""Webhooks as Telegram runs them: setWebhook / deleteWebhook / getWebhookInfo, and the delivery.

While a webhook is set, each update is POSTed to it as JSON, with the secret token in the
`X-Telegram-Bot-Api-Secret-Token` header; an answer other than 2xx, or none, is retried with a
growing pause and recorded for getWebhookInfo. Updates of one chat go one at a time, in order;
other chats' go alongside, up to `max_connections` at once. getUpdates is refused meanwhile.
Unlike Telegram, plain http:// and any port are accepted: the sandbox lives on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tgtrainer.sandbox.errors import BotApiError, bad_request
from tgtrainer.sandbox.records import JSON, Webhook
from tgtrainer.sandbox.state import SandboxState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
ChatKey = tuple[str, int]


def conflict_with_webhook(state: SandboxState, *, during_poll: bool = False) -> None:
    """getUpdates while a webhook is set gets Telegram's 409."""
    if state.webhook is None:
        return
    if during_poll:
        raise BotApiError(409, "Conflict: terminated by setWebhook request")
    raise BotApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )


async def _change(state: SandboxState, webhook: Webhook | None, params: JSON) -> None:
    condition = state.updates_condition()
    async with condition:
        state.webhook = webhook
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            state.updates = []
            if state.store is not None:
                state.store.confirm_updates(state.last_update_id + 1)
        if state.store is not None:
            state.store.save_meta("webhook", asdict(webhook) if webhook else None)
        condition.notify_all()


async def set_webhook(state: SandboxState, params: JSON) -> bool:
    url = str(params.get("url") or "")
    if not url:  # as on Telegram: an empty URL removes the webhook
        await _change(state, None, params)
        return True
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.match(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    given = str(params.get("max_connections") or "40")
    if not given.isdigit() or not 1 <= (max_connections := int(given)) <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    await _change(state, Webhook(url, secret and str(secret), max_connections), params)
    return True


async def delete_webhook(state: SandboxState, params: JSON) -> bool:
    await _change(state, None, params)
    return True


async def get_webhook_info(state: SandboxState, params: JSON) -> JSON:
    info: JSON = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    webhook = state.webhook
    if webhook is not None:
        info.update(url=webhook.url, max_connections=webhook.max_connections)
        if webhook.last_error_date is not None:
            info.update(
                last_error_date=webhook.last_error_date,
                last_error_message=webhook.last_error_message,
            )
    return info


WEBHOOK_METHODS = {
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
}


class WebhookDelivery:
    """Posts the pending updates to the webhook while one is set; `start()`, then `stop()`."""

    first_retry = 0.25
    """Seconds before the first retry; each next pause doubles, up to `last_retry`."""
    last_retry = 4.0
    timeout = 30.0

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._busy: set[ChatKey] = set()
        self._workers: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        tasks = [task for task in (self._task, *self._workers) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        condition = self._state.updates_condition()
        while True:
            async with condition:
                await condition.wait_for(lambda: bool(self._next()))
                for update, key in self._next():
                    self._busy.add(key)
                    worker = asyncio.create_task(self._deliver(update, key))
                    self._workers.add(worker)
                    worker.add_done_callback(self._workers.discard)

    def _next(self) -> list[tuple[JSON, ChatKey]]:
        """The updates to post now: each chat's first waiting one, within max_connections."""
        webhook = self._state.webhook
        if webhook is None:
            return []
        room = webhook.max_connections - len(self._busy)
        chosen: list[tuple[JSON, ChatKey]] = []
        seen: set[ChatKey] = set()
        for update in self._state.updates:
            key = _chat_key(update)
            if key not in seen and key not in self._busy and len(chosen) < room:
                chosen.append((update, key))
            seen.add(key)
        return chosen

    async def _deliver(self, update: JSON, key: ChatKey) -> None:
        pause = self.first_retry
        delivered = False
        try:
            while (webhook := self._state.webhook) is not None and update in self._state.updates:
                error = await self._post(webhook, update)
                if error is None:
                    delivered = True
                    break
                webhook.last_error_date, webhook.last_error_message = int(time.time()), error
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.last_retry)
        finally:
            self._busy.discard(key)
        await self._done(update["update_id"] if delivered else None)

    async def _done(self, update_id: int | None) -> None:
        condition = self._state.updates_condition()
        async with condition:
            if update_id is not None:
                self._state.updates = [
                    u for u in self._state.updates if u["update_id"] != update_id
                ]
                if self._state.store is not None:
                    self._state.store.remove_update(update_id)
            condition.notify_all()

    async def _post(self, webhook: Webhook, update: JSON) -> str | None:
        """None when the webhook took the update, else the error as getWebhookInfo words it."""
        assert self._session is not None
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection error: {type(error).__name__}"


def _chat_key(update: JSON) -> ChatKey:
    """Which chat an update belongs to (its sender when it has no chat): the unit of order."""
    for value in update.values():
        if not isinstance(value, dict):
            continue
        chat: Any = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return ("chat", int(chat["id"]))
        if isinstance(value.get("from"), dict):
            return ("user", int(value["from"]["id"]))
    return ("update", int(update["update_id"]))
