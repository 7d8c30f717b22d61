"""Speech over the OpenAI API (or a compatible server): `audio.transcriptions`, `audio.speech`.

Retries are the SDK's own; what still fails becomes a `SpeechError` here, so nothing above this
module sees an `openai` exception. The API key never reaches a message or the log.
"""

from __future__ import annotations

import asyncio

import openai
from openai import AsyncOpenAI

from tgtrainer.config import Settings
from tgtrainer.speech.audio import VOICE_RATE, Pcm, Recording, decode, encode_ogg_opus
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


UPLOADS = {
    "ogg": ("ogg", "audio/ogg"),
    "mp3": ("mp3", "audio/mpeg"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", "audio/mp4"),
    "matroska,webm": ("webm", "audio/webm"),
    "wav": ("wav", "audio/wav"),
    "flac": ("flac", "audio/flac"),
}
"""FFmpeg's container names -> the extension and type `audio.transcriptions` takes them by."""


def upload(recording: Recording) -> tuple[str, bytes, str]:
    """The file to send: the one received, named so the server knows its format; a container
    the API does not take (AVI, AMR...) is re-encoded as OGG/Opus from its decoded sound."""
    known = UPLOADS.get(recording.container)
    if known is not None:
        extension, mime_type = known
        return f"voice.{extension}", recording.data, mime_type
    data = encode_ogg_opus(recording.samples, recording.sample_rate)
    return "voice.ogg", data, "audio/ogg"


class OpenAISpeechToText(SpeechToText):
    """Sends the file as received to `audio.transcriptions` (re-encoded only when the API
    would not take its format)."""

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        super().__init__()
        self.name = settings.stt_model or DEFAULT_STT_MODEL
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._client = client or openai_client(settings)

    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        file = await asyncio.to_thread(upload, recording)
        try:
            if language:
                result = await self._client.audio.transcriptions.create(
                    model=self.name, file=file, language=language
                )
            else:
                result = await self._client.audio.transcriptions.create(model=self.name, file=file)
        except openai.OpenAIError as error:
            raise _map_error(error, self._key) from None
        return Transcript(result.text.strip(), language, recording.duration)

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
