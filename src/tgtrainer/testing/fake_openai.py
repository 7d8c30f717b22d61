"""A fake OpenAI-compatible server on 127.0.0.1: real HTTP, real SSE, scripted replies and faults.

`POST /v1/chat/completions` (with and without `stream`) answers with `reply(messages, model)`,
streamed one word per chunk; `GET /v1/models` lists `models` and the fine-tuned ones; the files
and fine-tuning endpoints are `fine_tuning` (`testing.fake_finetune`). Faults are queued per
endpoint (`testing.fake_faults`) and each one is used up by one request: `fail_next` (an error
status), `hang_next` (no answer for a while), `break_stream_next` (the connection drops halfway
through the reply); `refuse_pictures` answers 400 to every chat request with an image part.

    with FakeOpenAIServer().serve_in_thread() as server:   # or: await server.start()
        ... OPENAI_BASE_URL=server.base_url ...

Standalone, for benchmarks: `python -m tgtrainer.testing.fake_openai --port 8081`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from tgtrainer.testing.fake_faults import Endpoint, Fault, FaultQueues, apply_fault
from tgtrainer.testing.fake_finetune import FakeFineTuning
from tgtrainer.testing.openai_wire import (
    completion,
    completion_chunk,
    drop,
    error_response,
    has_picture,
    message_text,
    split_reply,
    token_usage,
)

__all__ = ["FakeOpenAIServer", "Reply", "echo", "main"]

Reply = Callable[[list[dict[str, Any]], str], str]


def echo(messages: list[dict[str, Any]], model: str) -> str:
    """The default reply: the last user message, echoed."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {"content": ""})
    return f"You said: {message_text(last.get('content'))}"


class FakeOpenAIServer:
    """See the module docstring. `requests` holds the JSON body of every chat request received."""

    def __init__(
        self,
        reply: Reply = echo,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = ("fake-small", "fake-large"),
        api_key: str | None = None,
        strict_models: bool = False,
        chunk_delay: float = 0.0,
    ) -> None:
        self.reply = reply
        self.host = host
        self.port = port
        self.models = list(models)
        self.api_key = api_key
        """When set, requests without `Authorization: Bearer <api_key>` get 401."""
        self.strict_models = strict_models
        """When set, a chat request for a model not in `models` gets 404, as OpenAI answers."""
        self.chunk_delay = chunk_delay
        """Seconds between streamed chunks; may be changed while the server runs."""
        self.requests: list[dict[str, Any]] = []
        self.refuse_pictures = False
        """When set, a chat request with an image part gets 400, as OpenAI answers for a model
        that does not see images; may be changed while the server runs."""
        self.model_listings = 0
        self.embedding_requests: list[dict[str, Any]] = []
        self._faults = FaultQueues()
        self.transcript = "Hello from the fake transcriber."
        """What `POST /v1/audio/transcriptions` hears in any audio."""
        self.audio_requests: list[dict[str, Any]] = []
        """The fields of every audio request (the uploaded file as `file_bytes`, its name as
        `file_name`)."""
        self.fine_tuning = FakeFineTuning()
        """The files and fine-tuning endpoints (`testing.fake_finetune`); its succeeded jobs'
        models join `GET /v1/models`."""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- faults ---------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        retry_after: float | None = None,
        body: Any = None,
        endpoint: Endpoint = "chat",
    ) -> None:
        """Answer the next `count` requests with `status`; `count=0` clears all pending faults.

        `body` replaces the default OpenAI-style error JSON; `retry_after` adds that header.
        """
        if count <= 0:
            self.clear_faults()
            return
        self._faults.add(endpoint, Fault("fail", status, retry_after, body), count)

    def hang_next(self, seconds: float, count: int = 1, *, endpoint: Endpoint = "chat") -> None:
        """Say nothing for `seconds` on the next `count` requests, then answer normally."""
        self._faults.add(endpoint, Fault("hang", seconds=seconds), count)

    def break_stream_next(self, count: int = 1) -> None:
        """Drop the connection halfway through the next `count` chat replies."""
        self._faults.add("chat", Fault("break"), count)

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        app.router.add_post("/v1/audio/speech", self._speech)
        self.fine_tuning.register(app, self._refusal)
        # Hung handlers stop when their client gives up, and never hold up shutting down.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[FakeOpenAIServer]:
        """Run the server on its own event loop in a daemon thread (for sync callers)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # -- handlers -------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return error_response(400, "the body is not JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return error_response(400, "the body must be a JSON object", "invalid_request_error")
        self.requests.append(body)
        refused = self._refusal(request)
        if refused is not None:
            return refused
        fault = self._faults.take("chat")
        if fault is not None and fault.kind != "break":
            early = await apply_fault(fault)
            if early is not None:
                return early
        messages, model = body.get("messages"), body.get("model")
        if not isinstance(messages, list) or not messages or not isinstance(model, str):
            return error_response(
                400, "'model' and a non-empty 'messages' are required", "invalid_request_error"
            )
        if self.refuse_pictures and has_picture(messages):
            return error_response(
                400,
                "Invalid content type. image_url is only supported by certain models.",
                "invalid_request_error",
            )
        if self.strict_models and model not in self.models:
            return error_response(
                404,
                f"The model `{model}` does not exist",
                "invalid_request_error",
                "model_not_found",
            )
        text = self.reply(messages, model)
        broken = fault is not None and fault.kind == "break"
        if body.get("stream"):
            return await self._stream(request, body, text, broken=broken)
        if broken:
            drop(request)
            return web.Response()
        return web.json_response(completion(f"chatcmpl-{next(self._ids)}", body, text))

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        self.model_listings += 1
        refused = self._refusal(request)
        if refused is not None:
            return refused
        fault = self._faults.take("models")
        if fault is not None:
            early = await apply_fault(fault)
            if early is not None:
                return early
        data = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
            for name in [*self.models, *self.fine_tuning.fine_tuned_models()]
        ]
        return web.json_response({"object": "list", "data": data})

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        """Deterministic vectors: the input's words hashed into 256 buckets."""
        from tgtrainer.testing.hashing_embedder import hashed_vector

        body = await request.json()
        self.embedding_requests.append(body)
        refused = self._refusal(request)
        if refused is not None:
            return refused
        fault = self._faults.take("embeddings")
        if fault is not None:
            early = await apply_fault(fault)
            if early is not None:
                return early
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = [
            {"object": "embedding", "index": index, "embedding": hashed_vector(text)}
            for index, text in enumerate(texts)
        ]
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        return web.json_response(
            {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
        )

    async def _transcriptions(self, request: web.Request) -> web.StreamResponse:
        """Multipart: `file`, `model`, maybe `language`; answers `{"text": self.transcript}`."""
        form = await request.post()
        upload = form.get("file")
        fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        fields["file_bytes"] = b""
        if isinstance(upload, web.FileField):
            with upload.file:  # closed now: a request cancelled in a fault must not leak it
                fields["file_bytes"] = upload.file.read()
        fields["file_name"] = upload.filename if isinstance(upload, web.FileField) else None
        self.audio_requests.append({"endpoint": "transcriptions", **fields})
        refused = self._refusal(request)
        if refused is not None:
            return refused
        fault = self._faults.take("transcriptions")
        if fault is not None:
            early = await apply_fault(fault)
            if early is not None:
                return early
        if not fields["file_bytes"] or "model" not in fields:
            return error_response(400, "'file' and 'model' are required", "invalid_request_error")
        return web.json_response({"text": self.transcript})

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        """JSON: `model`, `voice`, `input`, `response_format`; answers OGG/Opus (0.05 s a
        character of a 220 Hz tone) for "opus", else 400."""
        body = await request.json()
        self.audio_requests.append({"endpoint": "speech", **body})
        refused = self._refusal(request)
        if refused is not None:
            return refused
        fault = self._faults.take("speech")
        if fault is not None:
            early = await apply_fault(fault)
            if early is not None:
                return early
        if body.get("response_format") != "opus" or not body.get("input"):
            return error_response(400, "this fake speaks only opus", "invalid_request_error")
        from tgtrainer.testing.media import tone_voice_note  # PyAV: only when speech is asked for

        audio = tone_voice_note(0.05 * len(str(body["input"])))
        return web.Response(body=audio, content_type="audio/ogg")

    def _refusal(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return error_response(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )

    async def _stream(
        self, request: web.Request, body: dict[str, Any], text: str, *, broken: bool
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        model, created, ident = body["model"], int(time.time()), f"chatcmpl-{next(self._ids)}"

        async def send(delta: dict[str, str], finish: str | None = None) -> None:
            chunk = completion_chunk(ident, created, model, delta, finish)
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        pieces = split_reply(text)
        for index, piece in enumerate(pieces):
            if broken and index >= max(1, len(pieces) // 2):
                drop(request)
                return response
            await send({"content": piece})
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
        await send({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"id": ident, "object": "chat.completion.chunk", "created": created}
            usage |= {"model": model, "choices": [], "usage": token_usage(body, text)}
            await response.write(f"data: {json.dumps(usage)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server (echoes).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between chunks")
    args = parser.parse_args()

    async def serve() -> None:
        server = FakeOpenAIServer(host=args.host, port=args.port, chunk_delay=args.chunk_delay)
        await server.start()
        print(f"listening on {server.base_url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
