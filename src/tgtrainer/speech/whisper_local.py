"""Speech-to-text on this machine: faster-whisper (CTranslate2) on CPU, int8."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tgtrainer.speech.audio import Recording, Samples
from tgtrainer.speech.base import SpeechToText, Transcript
from tgtrainer.speech.errors import SpeechConfigurationError

log = logging.getLogger(__name__)
LANGUAGE_CONFIDENCE = 0.7
"""Below this, on a short clip, the detected language is a guess: the fallback is used."""
SHORT_CLIP_SECONDS = 8.0


class WhisperSpeechToText(SpeechToText):
    """Whisper through faster-whisper, on the 16 kHz samples of the recording. `model_dir` is
    called (off the event loop) on first use, so that joining the bundled weights happens once
    and never blocks the bot."""

    def __init__(
        self,
        model_dir: Callable[[], Path],
        *,
        name: str,
        threads: int = 0,
        english_only: bool = False,
        beam_size: int = 1,
    ) -> None:
        super().__init__()
        self.name = name
        self._model_dir = model_dir
        self._threads = threads
        self._english_only = english_only
        self._beam_size = beam_size
        self._model: Any = None
        self._loading = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    async def warm_up(self) -> None:
        await asyncio.to_thread(self._load)

    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        return await asyncio.to_thread(self._transcribe, recording.samples, language, fallback)

    def _load(self) -> Any:
        with self._loading:
            if self._model is None:
                try:
                    from faster_whisper import WhisperModel
                except ModuleNotFoundError as error:
                    raise SpeechConfigurationError(
                        "faster-whisper is not installed: install tgtrainer[local] or set "
                        "STT_BACKEND=openai"
                    ) from error
                started = time.perf_counter()
                try:
                    folder = self._model_dir()
                    self._model = WhisperModel(
                        str(folder),
                        device="cpu",
                        compute_type="int8",
                        cpu_threads=self._threads or os.cpu_count() or 1,
                        local_files_only=True,
                    )
                except SpeechConfigurationError:
                    raise
                except Exception as error:  # weights missing, damaged, of another kind
                    raise SpeechConfigurationError(
                        f"cannot load the speech-to-text model {self.name}: {error}"
                    ) from error
                log.info(
                    "speech-to-text model %s loaded in %.1f s",
                    self.name,
                    time.perf_counter() - started,
                )
            return self._model

    def _transcribe(
        self, samples: Samples, language: str | None, fallback: str | None
    ) -> Transcript:
        model = self._load()
        duration = len(samples) / self.sample_rate
        if self._english_only:
            language = "en"
        # Without a language Whisper detects it on the first (padded) 30-second window and
        # reuses that encoding to transcribe: detection costs no second pass.
        text, detected, probability = self._run(model, samples, language)
        if (
            language is None
            and fallback
            and detected != fallback
            and duration < SHORT_CLIP_SECONDS
            and probability < LANGUAGE_CONFIDENCE
        ):
            log.info("short clip, %s only %.2f likely: using %s", detected, probability, fallback)
            text, detected, _ = self._run(model, samples, fallback)
        return Transcript(text, language or detected, duration)

    def _run(self, model: Any, samples: Samples, language: str | None) -> tuple[str, str, float]:
        """The transcript, its language, and how likely that language is."""
        segments, info = model.transcribe(
            samples,
            language=language,
            beam_size=self._beam_size,
            vad_filter=True,  # silence and noise are skipped, not "heard" as words
            condition_on_previous_text=False,  # no repetition loops on long recordings
            without_timestamps=True,  # fewer tokens to decode: faster, and we need no times
        )
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return text, str(info.language), float(info.language_probability)
