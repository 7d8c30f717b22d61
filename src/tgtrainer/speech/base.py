"""Speech interfaces: `SpeechToText` and `TextToSpeech`, one method to implement each.

Everything around that method lives here once: decoding what was received, its length limit and
silence, one transcription at a time per model (others wait their turn); and speaking a whole
answer sentence by sentence, capped in length, encoded as a Telegram voice note.
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass

from tgtrainer.speech.audio import (
    Pcm,
    Recording,
    VoiceNote,
    decode_recording,
    encode_voice_note,
    is_silent,
)
from tgtrainer.speech.text import speakable_chunks


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str | None  # as detected or as asked; None when unknown
    duration: float  # seconds of audio listened to


class SpeechToText(abc.ABC):
    """Transcribes audio files. Implementations provide `transcribe_recording`.

    `transcribe` takes the file as received and does, once for every backend, what does not
    depend on the model: it decodes the sound at the backend's `sample_rate` (which measures the
    real length, whatever the file claims, and refuses what is longer than `max_seconds`),
    answers silence with an empty transcript, and runs one job at a time.
    """

    sample_rate = 16_000
    """The rate the backend listens at: its `Recording.samples` are decoded to it."""
    name = "speech-to-text"

    def __init__(self) -> None:
        self._turn: asyncio.Lock | None = None
        self.waiting = 0  # jobs queued or running, for the curious (benchmarks, logs)

    @abc.abstractmethod
    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        """The words in `recording` (the file as received and its decoded sound). Raises
        `SpeechError`.

        `language` None means detect it; `fallback` is the language to assume when detection is
        unsure (short clips).
        """

    async def transcribe(
        self,
        data: bytes,
        *,
        language: str | None,
        fallback: str | None = None,
        max_seconds: float | None = None,
    ) -> Transcript:
        """What was said in `data` (any audio or video file). Raises `SpeechError`:
        `AudioDecodeError` for what is not sound, `AudioTooLongError` past `max_seconds`.

        Silence gives an empty transcript without troubling the model; the others wait in order
        while the model works on one recording.
        """
        recording = await asyncio.to_thread(
            decode_recording, data, self.sample_rate, max_seconds=max_seconds
        )
        if is_silent(recording.samples):
            return Transcript("", None, recording.duration)
        if self._turn is None:
            self._turn = asyncio.Lock()
        self.waiting += 1
        try:
            async with self._turn:
                return await self.transcribe_recording(
                    recording, language=language, fallback=fallback
                )
        finally:
            self.waiting -= 1

    @property
    def loaded(self) -> bool:
        """Whether the model is ready to listen (a remote one always is)."""
        return True

    async def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Load the weights now rather than in the first `transcribe`."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release what the model holds."""


class TextToSpeech(abc.ABC):
    """Speaks text. Implementations provide `synthesize`; `speak` makes a voice note of it."""

    chunk_chars = 0
    """Sentences are joined into pieces up to this many characters per `synthesize` call."""
    pause_seconds = 0.25

    @abc.abstractmethod
    async def synthesize(self, text: str, *, language: str) -> Pcm:
        """`text` (plain, a sentence or a few) spoken in `language`. Raises `SpeechError`."""

    def speaks(self, language: str) -> bool:
        """Whether there is a voice for `language` (a code like en or ru)."""
        return True

    @property
    def loaded(self) -> bool:
        """Whether the voice is ready to speak (a remote one always is)."""
        return True

    async def speak(self, text: str, *, language: str, max_seconds: float) -> VoiceNote | None:
        """The answer read aloud, in order, stopped at `max_seconds`; None if nothing to say."""
        spoken: list[Pcm] = []
        total = 0.0
        for piece in speakable_chunks(text, self.chunk_chars):
            pcm = await self.synthesize(piece, language=language)
            spoken.append(pcm)
            total += pcm.duration + self.pause_seconds
            if total >= max_seconds:
                break
        if not spoken:
            return None
        return await asyncio.to_thread(
            encode_voice_note, spoken, max_seconds=max_seconds, pause=self.pause_seconds
        )

    async def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Load the voice now rather than in the first `synthesize`."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release what the voice holds."""
