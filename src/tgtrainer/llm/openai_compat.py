"""Chat models served over the OpenAI API: OpenAI itself or any compatible server.

Ollama, vLLM, the llama.cpp server and LM Studio differ only in `OPENAI_BASE_URL`. Retries are the
SDK's own (`max_retries`): time-outs, connection errors, 408/409/429/5xx, with exponential backoff
that honours `Retry-After`. What is still failing after them becomes a `ModelError` here, so that
nothing above this module sees an `openai` or `httpx` exception.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import openai
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionContentPartParam,
    ChatCompletionMessageParam,
)

from tgtrainer.config import Settings
from tgtrainer.llm.base import (
    ChatMessage,
    ChatModel,
    ModelConfigurationError,
    ModelError,
    ModelUnavailableError,
    PicturesRefusedError,
    PromptTooLongError,
)

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"
"""Sent when no key is configured: local servers ignore it, the SDK insists on one."""
MODELS_TTL_SECONDS = 60.0
# OpenAI lists every model it has; these ids are not chat models and would only clutter /model.
NOT_CHAT = re.compile(
    r"embedding|tts|whisper|transcribe|realtime|dall-e|image|moderation|davinci|babbage"
)
# How servers word a refusal of a message's pictures: OpenAI ("image_url is only supported by
# certain models"), vLLM/llama.cpp ("does not support image input", "multimodal"), others
# ("content must be a string", "unsupported content type").
PICTURES_REFUSED = re.compile(
    r"image|vision|multimodal|multi-modal|content type|content part|content must be a string",
    re.IGNORECASE,
)


class OpenAIChatModel(ChatModel):
    """Streams chat completions from an OpenAI-compatible server."""

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self.default_model = settings.llm_model or DEFAULT_MODEL
        self.context_tokens = settings.llm_context_tokens
        self.max_reply_tokens = settings.llm_max_tokens
        self._seed = settings.llm_seed
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        base_url = settings.openai_base_url or OPENAI_URL
        # OpenAI wants the newer parameter (o-series refuse `max_tokens`); not every compatible
        # server knows it yet.
        self._max_tokens_field = "max_completion_tokens" if base_url == OPENAI_URL else "max_tokens"
        self._client = client or AsyncOpenAI(
            api_key=self._key or NO_KEY,
            base_url=base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
        self._models: list[str] | None = None
        self._models_listed_at = 0.0

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str | None = None
    ) -> AsyncIterator[str]:
        try:
            # `chat.completions.create` walks every message through the SDK's type-driven
            # transform first, and builds a model object per streamed chunk: most of the bot's
            # CPU per message. The body is plain strings already, so it goes to the same endpoint
            # as it is, and chunks stay the JSON dicts they arrive as.
            body: dict[str, Any] = {
                "model": model or self.default_model,
                "messages": [_message_param(message) for message in messages],
                "stream": True,
                self._max_tokens_field: self.max_reply_tokens,
            }
            if self._seed is not None:
                body["seed"] = self._seed
            response = await self._client.post(
                "/chat/completions",
                body=body,
                cast_to=ChatCompletion,
                stream=True,
                stream_cls=AsyncStream[dict[str, Any]],
            )
            async with response:  # closes the connection if the consumer stops early
                async for chunk in response:
                    piece = _delta_content(chunk)
                    if piece:
                        yield piece
        except openai.OpenAIError as error:
            # A server that echoes the key in its message would put it in every log of the
            # chain: then only the cleaned `detail` goes on.
            cause = None if self._key and self._key in f"{error!r} {error.__cause__!r}" else error
            pictures = any(message.images for message in messages)
            raise self._map_error(error, pictures=pictures) from cause

    async def list_models(self) -> list[str]:
        """The configured model first, then the server's other chat models (cached a minute)."""
        now = time.monotonic()
        if self._models is None or now - self._models_listed_at > MODELS_TTL_SECONDS:
            try:
                # One try: a chat waits on this, and the configured model is a fine answer.
                models = self._client.with_options(max_retries=0).models
                listed = [model.id async for model in models.list()]
            except openai.OpenAIError as error:
                log.warning("cannot list the server's models: %s", self._describe(error))
                return [self.default_model]
            others = sorted(
                {name for name in listed if not NOT_CHAT.search(name)} - {self.default_model}
            )
            self._models, self._models_listed_at = [self.default_model, *others], now
        return list(self._models)

    async def aclose(self) -> None:
        await self._client.close()

    def _map_error(self, error: openai.OpenAIError, *, pictures: bool = False) -> ModelError:
        detail = self._describe(error)
        if isinstance(error, openai.APIConnectionError):  # time-outs included
            return ModelUnavailableError(detail)
        if isinstance(error, openai.APIStatusError):
            if error.status_code in (408, 409, 429) or error.status_code >= 500:
                return ModelUnavailableError(detail)
            if error.code == "context_length_exceeded":
                return PromptTooLongError(detail)
            if (
                pictures
                and error.status_code in (400, 415, 422)
                and PICTURES_REFUSED.search(str(error))
            ):
                return PicturesRefusedError(detail)
            return ModelConfigurationError(detail)
        if isinstance(error, openai.APIError):  # an error event inside the stream
            return ModelUnavailableError(detail)
        return ModelError(detail)

    def _describe(self, error: openai.OpenAIError) -> str:
        """The error for the log: type, status and server message, never the API key."""
        status = f" {error.status_code}" if isinstance(error, openai.APIStatusError) else ""
        text = f"{type(error).__name__}{status}: {error}"
        if error.__cause__ is not None:  # the transport's own words: "peer closed connection..."
            text += f" ({type(error.__cause__).__name__}: {error.__cause__})"
        return text.replace(self._key, "***") if self._key else text


def _delta_content(chunk: dict[str, Any]) -> str | None:
    """The text a streamed chat completion chunk adds, if any."""
    choices = chunk.get("choices")
    if not choices:
        return None
    content = (choices[0].get("delta") or {}).get("content")
    return content if isinstance(content, str) else None


def _message_param(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    if message.images:  # the text first, then the pictures, as OpenAI's examples send them
        parts: list[ChatCompletionContentPartParam] = [{"type": "text", "text": message.content}]
        parts += [
            {"type": "image_url", "image_url": {"url": image.data_url()}}
            for image in message.images
        ]
        return {"role": "user", "content": parts}
    return {"role": "user", "content": message.content}
