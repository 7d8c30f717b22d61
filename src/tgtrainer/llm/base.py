"""The chat-model interface: one streaming method to implement, the rest derived."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


class ModelUnavailableError(Exception):
    """The model did not answer (after retries): time-out, connection error, 5xx, 429, overload.

    `str(error)` is a sentence fit for the user; the cause stays in `__cause__` for the logs.
    """

    user_message = "The model is not answering right now, try again in a minute."

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.user_message)
        self.detail = detail


class ChatModel(abc.ABC):
    """A chat model. Implementations provide `stream`; `complete` is derived from it.

    `context_tokens` is the most the model accepts (prompt + reply); `max_reply_tokens` is the
    budget kept free for the reply.
    """

    context_tokens: int = 4096
    max_reply_tokens: int = 512

    @abc.abstractmethod
    def stream(self, messages: Sequence[ChatMessage], *, model: str | None = None) -> AsyncIterator[str]:
        """Yield the reply in text pieces as they are generated.

        Raises `ModelUnavailableError` when the model cannot answer after bounded retries.
        `model` picks one of `list_models()`; None means the default.
        """

    async def complete(self, messages: Sequence[ChatMessage], *, model: str | None = None) -> str:
        return "".join([piece async for piece in self.stream(messages, model=model)])

    @abc.abstractmethod
    async def list_models(self) -> list[str]:
        """Names a chat can choose with /model; the first is the default."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes; a cautious estimate unless the backend knows its tokenizer."""
        return len(text) // 3 + 1

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most models hold nothing
        """Release what the model holds (connections, weights)."""
