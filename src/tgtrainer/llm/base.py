"""The chat-model interface: one streaming method to implement, the rest derived."""

from __future__ import annotations

import abc
import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from tgtrainer.errors import UserFacingError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ImagePart:
    """A picture a message carries, ready to send (see `llm.images.prepare_picture`)."""

    data: bytes
    media_type: str = "image/jpeg"

    def data_url(self) -> str:
        """`data:image/jpeg;base64,...`, as OpenAI-compatible servers take pictures inline."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a prompt: its text, and the pictures a user message shows (only for a
    model that sees them: the core decides, and the local model refuses them)."""

    role: Role
    content: str
    images: tuple[ImagePart, ...] = ()


class ModelError(UserFacingError):
    """The model could not answer. `str(error)` is a sentence for the user.

    What the operator needs (status, server message) is in `detail` and `__cause__`, for the log;
    neither ever holds the API key.

    ModelError                  "The model could not answer this message."
     +-- ModelUnavailableError  time-out, connection error, 5xx, 429, broken stream (after retries)
     +-- ModelConfigurationError  401/403/404/400, unknown model, model that cannot be loaded
     |    +-- PicturesRefusedError  the model (or server) does not take pictures
     +-- PromptTooLongError     the prompt does not fit the model's context window
    """

    user_message: str = "The model could not answer this message."


class ModelUnavailableError(ModelError):
    """The model did not answer (after retries): time-out, connection error, 5xx, 429, overload."""

    user_message = "The model is not answering right now, try again in a minute."


class ModelConfigurationError(ModelError):
    """The backend refused the request as configured (key, model name, request shape, weights)."""

    user_message = "The model backend rejected the request: check the API key and model name."


class PicturesRefusedError(ModelConfigurationError):
    """The backend refused a message's pictures (a model that does not see images)."""

    user_message = (
        "This model does not accept pictures: set VISION_MODEL to a model that sees images."
    )


class PromptTooLongError(ModelError):
    """The conversation does not fit the model's context window."""

    user_message = "This conversation is too long for the model: send /reset to start a new one."


class ChatModel(abc.ABC):
    """A chat model. Implementations provide `stream`; `complete` is derived from it.

    `context_tokens` is the most the model accepts (prompt + reply); `max_reply_tokens` is the
    budget kept free for the reply.
    """

    context_tokens: int = 4096
    max_reply_tokens: int = 512
    default_model: str = ""
    """The model that answers a chat that chose none; "" when only `list_models` knows."""

    @abc.abstractmethod
    def stream(
        self, messages: Sequence[ChatMessage], *, model: str | None = None
    ) -> AsyncIterator[str]:
        """Yield the reply in text pieces as they are generated.

        Raises a `ModelError`: `ModelUnavailableError` when the model cannot answer after bounded
        retries (a stream broken midway included), `ModelConfigurationError` when the backend
        refuses the request as configured. `model` picks one of `list_models()`; None means the
        default.
        """

    async def complete(self, messages: Sequence[ChatMessage], *, model: str | None = None) -> str:
        return "".join([piece async for piece in self.stream(messages, model=model)])

    @abc.abstractmethod
    async def list_models(self) -> list[str]:
        """Names a chat can choose with /model; the first is the default."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes; a cautious estimate unless the backend knows its tokenizer."""
        return len(text) // 3 + 1

    async def warm_up(self) -> None:  # noqa: B027 - optional hook, remote models need nothing
        """Get ready to answer (load weights) so that the first message does not wait for it."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most models hold nothing
        """Release what the model holds (connections, weights)."""
