"""The faults the fake OpenAI server injects: queued per endpoint, each used up by one request.

A fault fails (an error status), hangs (no answer for a while, then the normal one) or breaks
(the connection drops halfway through a streamed reply: the server itself carries that out).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, get_args

from aiohttp import web

from tgtrainer.testing.openai_wire import error_response

Endpoint = Literal["chat", "models", "transcriptions", "speech", "embeddings"]


@dataclass(frozen=True, slots=True)
class Fault:
    kind: Literal["fail", "hang", "break"]
    status: int = 500
    retry_after: float | None = None
    body: Any = None
    seconds: float = 0.0


class FaultQueues:
    """The pending faults of each endpoint; safe to use from the test's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[Endpoint, deque[Fault]] = {
            endpoint: deque() for endpoint in get_args(Endpoint)
        }

    def add(self, endpoint: Endpoint, fault: Fault, count: int) -> None:
        with self._lock:
            self._queues[endpoint].extend([fault] * count)

    def take(self, endpoint: Endpoint) -> Fault | None:
        """The next fault for a request to `endpoint`, used up; None: answer normally."""
        with self._lock:
            queue = self._queues[endpoint]
            return queue.popleft() if queue else None

    def clear(self) -> None:
        with self._lock:
            for queue in self._queues.values():
                queue.clear()


async def apply_fault(fault: Fault) -> web.Response | None:
    """Carry out a fail or hang fault; a response means: send this instead of the reply."""
    if fault.kind == "hang":
        await asyncio.sleep(fault.seconds)
        return None
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if fault.body is not None:
        return web.json_response(fault.body, status=fault.status, headers=headers)
    return error_response(
        fault.status, f"fake failure {fault.status}", "server_error", headers=headers
    )
