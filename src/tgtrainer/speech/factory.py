"""The one place concrete speech backends are chosen, from `Settings`.

Nothing heavy is imported or read here: weights are joined and loaded on first use (or warm-up).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.speech.base import SpeechToText, TextToSpeech


def _needs_openai(settings: Settings, variable: str) -> None:
    if settings.openai_api_key is None and settings.openai_base_url is None:
        raise ConfigurationError(
            f"OPENAI_API_KEY: missing; {variable}=openai needs a key for OpenAI, or "
            "OPENAI_BASE_URL pointing at a compatible server"
        )


def build_speech_to_text(settings: Settings) -> SpeechToText | None:
    """None when STT_BACKEND=off: the bot then says it cannot listen."""
    if settings.stt_backend == "off":
        return None
    if settings.stt_backend == "openai":
        from tgtrainer.speech.openai_speech import OpenAISpeechToText

        _needs_openai(settings, "STT_BACKEND")
        return OpenAISpeechToText(settings)

    from tgtrainer.speech.whisper_local import WhisperSpeechToText
    from tgtrainer.speech.whisper_weights import bundled_whisper_base, tiny_en

    model = settings.stt_model.strip()
    folder: Callable[[], Path]
    if model in ("", "base"):
        folder, name, english_only = partial(bundled_whisper_base, settings.data_dir), "base", False
    elif model == "tiny.en":
        folder, name, english_only = tiny_en, "tiny.en", True
    else:
        path = Path(model).expanduser()
        if not (path / "model.bin").is_file():
            raise ConfigurationError(
                f"STT_MODEL: {path} is not a CTranslate2 Whisper folder (no model.bin); use base, "
                "tiny.en or such a folder"
            )
        folder, name, english_only = (lambda: path), path.name, path.name.endswith(".en")
    return WhisperSpeechToText(
        folder, name=name, threads=settings.stt_threads, english_only=english_only
    )


def build_text_to_speech(settings: Settings) -> TextToSpeech | None:
    """None when TTS_BACKEND=off: the bot then never answers with voice."""
    if settings.tts_backend == "off":
        return None
    if settings.tts_backend == "openai":
        from tgtrainer.speech.openai_speech import OpenAITextToSpeech

        _needs_openai(settings, "TTS_BACKEND")
        return OpenAITextToSpeech(settings)

    from tgtrainer.speech.piper_local import (
        EspeakVoice,
        LocalTextToSpeech,
        PiperVoice,
        bundled_joe_voice,
    )

    voice: Callable[[], Path]
    language = "en"
    if settings.tts_voice:
        path = Path(settings.tts_voice).expanduser()
        if not path.is_file() or not Path(f"{path}.json").is_file():
            raise ConfigurationError(
                f"TTS_VOICE: no Piper voice at {path} (an .onnx file with its .onnx.json beside)"
            )
        voice = lambda: path  # noqa: E731
        # Piper voices are named like ru_RU-irina-medium.onnx: the language comes first.
        named = re.match(r"^([a-z]{2,3})[_-]", path.name)
        language = named.group(1) if named else "en"
    else:
        voice = bundled_joe_voice
    espeak = EspeakVoice()
    return LocalTextToSpeech(
        PiperVoice(voice, language=language), espeak if espeak.available else None
    )
