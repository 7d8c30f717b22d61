"""Speech behind two small interfaces: `SpeechToText` and `TextToSpeech`, each with a local and an
OpenAI-compatible implementation, plus audio conversion (PyAV) for Telegram voice notes.

Concrete backends are chosen in `tgtrainer.speech.factory`; importing this package loads neither
faster-whisper, Piper, PyAV nor the `openai` SDK, and the models load on first use.
"""

from tgtrainer.speech.audio import Pcm, Recording, VoiceNote
from tgtrainer.speech.base import SpeechToText, TextToSpeech, Transcript
from tgtrainer.speech.errors import (
    AudioDecodeError,
    AudioTooLongError,
    SpeechConfigurationError,
    SpeechError,
    SpeechUnavailableError,
    UnsupportedLanguageError,
)

__all__ = [
    "AudioDecodeError",
    "AudioTooLongError",
    "Pcm",
    "Recording",
    "SpeechConfigurationError",
    "SpeechError",
    "SpeechToText",
    "SpeechUnavailableError",
    "TextToSpeech",
    "Transcript",
    "UnsupportedLanguageError",
    "VoiceNote",
]
