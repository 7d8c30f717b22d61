"""A chat model seen from the web page: is it still loading, ready, or did it fail to load."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from tgtrainer.llm.base import ChatMessage, ChatModel, ModelError

JSON = dict[str, Any]


class ObservedChatModel(ChatModel):
    """Answers exactly as `inner` does, and keeps `status` (shown by the page) up to date.

    `status["state"]` is "waiting" until the bot starts loading the model, then "loading",
    "ready" or "failed" (with `message`, a sentence for the person).
    """

    def __init__(self, inner: ChatModel, status: JSON, backend: str) -> None:
        self._inner = inner
        self._status = status
        self.context_tokens = inner.context_tokens
        self.max_reply_tokens = inner.max_reply_tokens
        status.clear()
        status.update(state="waiting", backend=backend)

    def __getattr__(self, name: str) -> Any:
        # Anything a backend offers beyond the ChatModel interface stays reachable.
        return getattr(self._inner, name)

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str | None = None
    ) -> AsyncIterator[str]:
        async for piece in self._inner.stream(messages, model=model):
            yield piece

    async def list_models(self) -> list[str]:
        return await self._inner.list_models()

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    async def warm_up(self) -> None:
        self._status.update(state="loading")
        try:
            await self._inner.warm_up()
        except ModelError as error:
            self._status.update(state="failed", message=str(error))
            raise
        except Exception:
            self._status.update(state="failed", message="The model could not be loaded.")
            raise
        self._status.update(state="ready")

    async def aclose(self) -> None:
        await self._inner.aclose()
