"""A GGUF chat model run in this process by llama.cpp (llama-cpp-python).

The model loads on first use, in a worker thread. Generation runs in a worker thread too and hands
each piece to the event loop as soon as it is decoded, so the first words reach the chat while the
rest is being written. One generation runs at a time per model; other chats wait their turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgtrainer.config import Settings
from tgtrainer.llm.base import (
    ChatMessage,
    ChatModel,
    ModelConfigurationError,
    ModelError,
    PicturesRefusedError,
    PromptTooLongError,
)
from tgtrainer.weights import BundledModelError

log = logging.getLogger(__name__)

LOAD_FAILED = "The local model could not be loaded; the bot's log says why."
UNKNOWN_MODEL = "That model is not available any more; choose another one with /model."
GGUF_SUFFIX = ".gguf"
# Reading a prompt of passages is most of the wait before the first words. With flash attention
# and one 1,024-token micro-batch (a document question's whole prompt), llama.cpp reads a
# 520-token prompt 1.08x faster on 2 cores than with its defaults (document answers start 1.08x
# sooner), at the same perplexity, decoding rate and memory (bench.prompt_options).
PROMPT_READING: dict[str, Any] = {"flash_attn": True, "n_batch": 1024, "n_ubatch": 1024}


@dataclass(frozen=True, slots=True)
class ModelFile:
    """A model a chat can choose: its name and how to get its file (possibly joining it first)."""

    name: str
    resolve: Callable[[], Path]
    lora: Path | None = None  # a LoRA adapter (GGUF) applied on top, loaded with `lora_path`

    @classmethod
    def at(cls, path: Path) -> ModelFile:
        """A model file that is already in place, named by its stem."""
        return cls(path.stem, lambda: path)


class _Done:
    """Put in the queue after the last piece."""


_DONE = _Done()
_Item = str | BaseException | _Done


class LlamaCppChatModel(ChatModel):
    """Chat with GGUF models on the CPU; `default` is used unless a chat picks another file.

    Besides the default, every `*.gguf` in `<data dir>/models` is offered by `list_models()`;
    `adapters` finds a trained LoRA adapter by name (the default model with `lora_path`). The
    default stays loaded; at most one other model (or adapter) is loaded beside it, each one
    chosen freeing the one before.
    """

    def __init__(
        self,
        settings: Settings,
        default: Path | ModelFile,
        adapters: Callable[[str], Path | None] | None = None,
    ) -> None:
        self._adapters = adapters
        self._extra: Any = None  # the one other model (or adapter) loaded beside the default
        self._extra_name: str | None = None
        self._settings = settings
        self._default = default if isinstance(default, ModelFile) else ModelFile.at(default)
        self.default_model = self._default.name
        self.context_tokens = settings.llm_context_tokens
        self.max_reply_tokens = settings.llm_max_tokens
        self._threads = settings.llm_threads or os.cpu_count() or 1
        self._seed = settings.llm_seed
        self._lock = asyncio.Lock()
        # The asyncio lock orders the chats; this one guards the llama.cpp objects themselves
        # in case a cancelled consumer lets the next one start before the last token is out.
        self._thread_lock = threading.Lock()
        self._llama: Any = None
        self._loaded: str | None = None

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str | None = None
    ) -> AsyncIterator[str]:
        if any(message.images for message in messages):  # the core never sends them here
            raise PicturesRefusedError("the local model does not see pictures")
        chosen = await self._choose(model)
        payload = [{"role": message.role, "content": message.content} for message in messages]
        async with self._lock:
            llama = await self._load(chosen)
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[_Item] = asyncio.Queue()
            stop = threading.Event()

            def emit(item: _Item) -> None:
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is closed: nobody is listening any more
                    stop.set()

            worker = asyncio.ensure_future(
                asyncio.to_thread(self._generate, llama, payload, stop, emit)
            )
            try:
                while not isinstance(item := await queue.get(), _Done):
                    if isinstance(item, BaseException):
                        raise _generation_error(item) from item
                    yield item
            finally:
                stop.set()
                await asyncio.shield(worker)

    async def list_models(self) -> list[str]:
        return list(await asyncio.to_thread(self._catalogue))

    def count_tokens(self, text: str) -> int:
        llama = self._llama
        if llama is None:
            return super().count_tokens(text)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    async def warm_up(self) -> None:
        """Load the default model now rather than at the first message."""
        async with self._lock:
            await self._load(await self._choose(None))

    async def aclose(self) -> None:
        async with self._lock:
            llama, self._llama, self._loaded = self._llama, None, None
            extra, self._extra, self._extra_name = self._extra, None, None
            for loaded in (llama, extra):
                if loaded is not None:
                    await asyncio.to_thread(self._free, loaded)

    def _catalogue(self) -> dict[str, ModelFile]:
        """Models on offer by name, the default first."""
        models = {self._default.name: self._default}
        folder = self._settings.data_dir / "models"
        for path in sorted(folder.glob(f"*{GGUF_SUFFIX}")) if folder.is_dir() else []:
            models.setdefault(path.stem, ModelFile.at(path))
        return models

    async def _choose(self, name: str | None) -> ModelFile:
        if name is None or name == self._default.name:
            return self._default
        chosen = (await asyncio.to_thread(self._catalogue)).get(name)
        if chosen is None and self._adapters is not None:
            lora = await asyncio.to_thread(self._adapters, name)
            if lora is not None:
                chosen = ModelFile(name, self._default.resolve, lora)
        if chosen is None:
            raise ModelConfigurationError(
                f"no local model named {name!r}", user_message=UNKNOWN_MODEL
            )
        return chosen

    async def _load(self, chosen: ModelFile) -> Any:
        """The llama.cpp model for `chosen`, loading it (and freeing the other extra one) if
        needed; the default has a slot of its own, so switching back to it costs nothing."""
        if chosen.name == self._default.name:
            if self._llama is None:
                self._llama = await asyncio.to_thread(self._swap, None, chosen)
                self._loaded = chosen.name
            return self._llama
        if self._extra is not None and self._extra_name == chosen.name:
            return self._extra
        previous, self._extra, self._extra_name = self._extra, None, None
        self._extra = await asyncio.to_thread(self._swap, previous, chosen)
        self._extra_name = chosen.name
        return self._extra

    def _swap(self, previous: Any, chosen: ModelFile) -> Any:
        with self._thread_lock:
            if previous is not None:
                previous.close()
            try:
                from llama_cpp import Llama
            except ImportError as error:
                raise ModelConfigurationError(
                    "llama-cpp-python is not installed: install tgtrainer[local]",
                    user_message=LOAD_FAILED,
                ) from error
            try:
                path = chosen.resolve()
                started = time.perf_counter()
                llama = Llama(
                    model_path=str(path),
                    lora_path=None if chosen.lora is None else str(chosen.lora),
                    n_ctx=self.context_tokens,
                    n_threads=self._threads,
                    **PROMPT_READING,
                    verbose=False,  # also mutes fds 1 and 2 for the whole process while loading
                )
            except (BundledModelError, ValueError, OSError) as error:
                raise ModelConfigurationError(
                    f"cannot load the local model {chosen.name!r}: {error}",
                    user_message=LOAD_FAILED,
                ) from error
            adapter = f" with adapter {chosen.name}" if chosen.lora is not None else ""
            log.info("loaded %s%s in %.2f s", path.name, adapter, time.perf_counter() - started)
            return llama

    def _free(self, llama: Any) -> None:
        with self._thread_lock:
            llama.close()

    def _generate(
        self,
        llama: Any,
        messages: list[dict[str, str]],
        stop: threading.Event,
        emit: Callable[[_Item], None],
    ) -> None:
        """Run in a worker thread: emit each piece, then any error, then `_DONE`."""
        with self._thread_lock:
            try:
                chunks = llama.create_chat_completion(
                    messages=messages,
                    stream=True,
                    max_tokens=self.max_reply_tokens,
                    seed=self._seed,  # None: llama-cpp-python draws the next seed from the last
                )
                try:
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            emit(piece)
                finally:
                    chunks.close()
            except Exception as error:
                emit(error)
            emit(_DONE)


def _generation_error(error: BaseException) -> ModelError:
    if isinstance(error, ValueError) and "exceed context window" in str(error):
        return PromptTooLongError(str(error))
    return ModelError(f"local generation failed: {error!r}")
