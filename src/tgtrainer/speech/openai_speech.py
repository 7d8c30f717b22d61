"""Speech over the OpenAI API (or a compatible server): `audio.transcriptions`, `audio.speech`.

Retries are the SDK's own; what still fails becomes a `SpeechError` here, so nothing above this
module sees an `openai` exception. The API key never reaches a message or the log.
"""

from __future__ import annotations

import asyncio

import openai
from openai import AsyncOpenAI

from tgtrainer.config import Settings
from tgtrainer.speech.audio import VOICE_RATE, Pcm, Samples, decode, encode_ogg_opus
from tgtrainer.speech.base import SpeechToText, TextToSpeech, Transcript
from tgtrainer.speech.errors import (
    SpeechConfigurationError,
    SpeechError,
    SpeechUnavailableError,
)

OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_STT_MODEL = "whisper-1"
DEFAULT_VOICE = "alloy"


def openai_client(settings: Settings) -> AsyncOpenAI:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return AsyncOpenAI(
        api_key=key or "no-key",
        base_url=settings.openai_base_url or OPENAI_URL,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )


def _map_error(error: openai.OpenAIError, key: str) -> SpeechError:
    status = f" {error.status_code}" if isinstance(error, openai.APIStatusError) else ""
    detail = f"{type(error).__name__}{status}: {error}"
    if key:
        detail = detail.replace(key, "***")
    if isinstance(error, openai.APIConnectionError):
        return SpeechUnavailableError(detail)
    if isinstance(error, openai.APIStatusError) and (
        error.status_code in (408, 409, 429) or error.status_code >= 500
    ):
        return SpeechUnavailableError(detail)
    return SpeechConfigurationError(detail)


class OpenAISpeechToText(SpeechToText):
    """Sends the audio, re-encoded as a small OGG/Opus file, to `audio.transcriptions`."""

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        super().__init__()
        self.name = settings.stt_model or DEFAULT_STT_MODEL
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._client = client or openai_client(settings)

    async def transcribe_samples(
        self, samples: Samples, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        data = await asyncio.to_thread(encode_ogg_opus, samples, self.sample_rate)
        try:
            if language:
                result = await self._client.audio.transcriptions.create(
                    model=self.name, file=("voice.ogg", data, "audio/ogg"), language=language
                )
            else:
                result = await self._client.audio.transcriptions.create(
                    model=self.name, file=("voice.ogg", data, "audio/ogg")
                )
        except openai.OpenAIError as error:
            raise _map_error(error, self._key) from None
        return Transcript(result.text.strip(), language, len(samples) / self.sample_rate)

    async def aclose(self) -> None:
        await self._client.close()


class OpenAITextToSpeech(TextToSpeech):
    """`audio.speech` with `response_format="opus"`; its voices speak many languages."""

    chunk_chars = 1500  # whole paragraphs per request: fewer round trips

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self._model = settings.tts_model
        self._voice = settings.tts_voice or DEFAULT_VOICE
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._client = client or openai_client(settings)

    async def synthesize(self, text: str, *, language: str) -> Pcm:
        try:
            response = await self._client.audio.speech.create(
                model=self._model, voice=self._voice, input=text, response_format="opus"
            )
            data = await response.aread()
        except openai.OpenAIError as error:
            raise _map_error(error, self._key) from None
        samples = await asyncio.to_thread(decode, data, VOICE_RATE)
        return Pcm(samples, VOICE_RATE)

    async def aclose(self) -> None:
        await self._client.close()
