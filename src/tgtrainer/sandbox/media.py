"""Media as Telegram delivers it: a voice note is OGG/Opus, 48 kHz, mono, with its duration.

A browser records WebM/Opus (MediaRecorder) and people upload WAV, FLAC, MP3...: whatever comes in
is decoded and encoded again by the speech layer's PyAV code, the one that makes the bot's own
voice notes. Blocking: call it in a thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import av.error

from tgtrainer.speech import audio as speech_audio
from tgtrainer.speech.errors import AudioDecodeError

VOICE_RATE = 48_000
VOICE_BIT_RATE = 32_000  # about what Telegram's own apps record
VOICE_MIME_TYPE = "audio/ogg"


class AudioError(Exception):
    """The upload is not audio we can read; the message is a sentence for the person."""


@dataclass(frozen=True, slots=True)
class VoiceNote:
    data: bytes
    duration: int  # whole seconds, as the Bot API gives it
    seconds: float


def to_voice_note(data: bytes) -> VoiceNote:
    """Any audio (or the sound of a video) as an OGG/Opus 48 kHz mono voice note.

    A file that already is one is kept byte for byte (only its length is measured).
    """
    kept = _already_a_voice_note(data)
    if kept is not None:
        return kept
    try:
        samples = speech_audio.decode(data, VOICE_RATE)
    except AudioDecodeError as error:
        raise AudioError("This file is not audio the sandbox can read.") from error
    seconds = len(samples) / VOICE_RATE
    encoded = speech_audio.encode_ogg_opus(samples, VOICE_RATE, bitrate=VOICE_BIT_RATE)
    return VoiceNote(encoded, max(1, round(seconds)), seconds)


def _already_a_voice_note(data: bytes) -> VoiceNote | None:
    try:
        with av.open(io.BytesIO(data), mode="r") as source:
            if source.format.name != "ogg" or len(source.streams.audio) != 1:
                return None
            stream = source.streams.audio[0]
            context = stream.codec_context
            if (context.name, context.sample_rate, context.layout.nb_channels) != (
                "opus",
                VOICE_RATE,
                1,
            ):
                return None
            samples = sum(frame.samples for frame in source.decode(stream))
    except av.error.FFmpegError:
        return None
    if samples == 0:
        return None
    seconds = samples / VOICE_RATE
    return VoiceNote(data, max(1, round(seconds)), seconds)


def duration(data: bytes) -> int:
    """Whole seconds of sound in an audio file, or 0 if it cannot be read."""
    try:
        with av.open(io.BytesIO(data), mode="r") as source:
            if source.duration:
                return round(source.duration / av.time_base)
            stream = source.streams.audio[0]
            samples = sum(frame.samples for frame in source.decode(stream))
            return round(samples / (stream.codec_context.sample_rate or 1))
    except (av.error.FFmpegError, IndexError):
        return 0


def picture_size(data: bytes) -> tuple[int, int]:
    """Width and height of a photo (JPEG, PNG, WebP), or (1, 1) if it cannot be read."""
    try:
        with av.open(io.BytesIO(data), mode="r") as source:
            stream = source.streams.video[0]
            return stream.codec_context.width or 1, stream.codec_context.height or 1
    except (av.error.FFmpegError, IndexError):
        return 1, 1
