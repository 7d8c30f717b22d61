"""Speech backends for core tests: scripted transcripts, tones for speech; every call recorded."""

from __future__ import annotations

import numpy as np

from tgtrainer.speech.audio import Pcm, Recording
from tgtrainer.speech.base import SpeechToText, TextToSpeech, Transcript


class ScriptedSpeechToText(SpeechToText):
    def __init__(self, text: str, language: str | None = "en") -> None:
        super().__init__()
        self.text = text
        self.language = language
        self.calls: list[tuple[float, str | None, str | None]] = []

    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        self.calls.append((recording.duration, language, fallback))
        return Transcript(self.text, language or self.language, recording.duration)


class ToneTextToSpeech(TextToSpeech):
    """One second of tone per piece; speaks only the languages given."""

    def __init__(self, languages: tuple[str, ...] = ("en",)) -> None:
        self.languages = languages
        self.pieces: list[tuple[str, str]] = []

    def speaks(self, language: str) -> bool:
        return language in self.languages

    async def synthesize(self, text: str, *, language: str) -> Pcm:
        self.pieces.append((text, language))
        t = np.arange(16_000) / 16_000
        return Pcm((0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 16_000)
