"""Audio conversion with PyAV (FFmpeg inside the wheel): decode anything, encode voice notes.

Everything here is blocking CPU work on in-memory bytes (no temporary files): call it through
`asyncio.to_thread`. PyAV (FFmpeg's libraries, tens of MB) is imported on first use: a bot that
is never spoken to never loads it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tgtrainer.speech.errors import AudioDecodeError, AudioTooLongError

if TYPE_CHECKING:
    import av

Samples = npt.NDArray[np.float32]
VOICE_RATE = 48_000  # Telegram voice notes: OGG/Opus, 48 kHz, mono
VOICE_BITRATE = 32_000  # clear speech; 2 minutes take about 480 KB
VOICE_MAX_BYTES = 950_000  # sendVoice shows OGG/Opus up to 1 MB as a voice note
MIN_BITRATE = 8_000
SILENCE_RMS = 0.001  # about -60 dBFS: nothing but the noise floor
NO_SOUND = "This file has no sound I could listen to."


@dataclass(frozen=True, slots=True)
class Pcm:
    """Mono float samples in [-1, 1] at `sample_rate`."""

    samples: Samples
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """An OGG/Opus file, 48 kHz mono, ready for sendVoice."""

    data: bytes
    duration: float

    @property
    def whole_seconds(self) -> int:
        """The duration as sendVoice takes it: whole seconds, at least 1."""
        return max(1, round(self.duration))


@dataclass(frozen=True, slots=True)
class Recording:
    """A file as it was received, with its first audio track decoded to mono samples."""

    data: bytes
    container: str  # FFmpeg's name for its format: "ogg", "mp3", "mov,mp4,m4a,3gp,3g2,mj2"...
    samples: Samples
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(data: bytes, sample_rate: int, *, max_seconds: float | None = None) -> Samples:
    """The first audio track of `data` (any container FFmpeg knows), mono, at `sample_rate`.

    Raises `AudioDecodeError` for damaged files or files without sound, `AudioTooLongError`
    once more than `max_seconds` have been decoded.
    """
    return decode_recording(data, sample_rate, max_seconds=max_seconds).samples


def decode_recording(
    data: bytes, sample_rate: int, *, max_seconds: float | None = None
) -> Recording:
    """`data` with its sound decoded as `decode` does, and the name of its container."""
    import av
    import av.error

    limit = math.inf if max_seconds is None else max_seconds * sample_rate
    chunks: list[Samples] = []
    decoded = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            container_name = str(container.format.name)
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream", user_message=NO_SOUND)
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in _then_flush(container.decode(stream)):
                for converted in resampler.resample(frame):
                    chunk = converted.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    chunks.append(chunk)
                    decoded += len(chunk)
                    if decoded > limit:
                        raise AudioTooLongError(f"more than {max_seconds} s once decoded")
    except av.error.FFmpegError as error:
        raise AudioDecodeError(f"FFmpeg: {error}") from error
    except (ValueError, IndexError, EOFError) as error:  # PyAV's word for some broken headers
        raise AudioDecodeError(f"{type(error).__name__}: {error}") from error
    if not chunks:
        raise AudioDecodeError("no audio frames", user_message=NO_SOUND)
    return Recording(data, container_name, np.concatenate(chunks), sample_rate)


def _then_flush(frames: Iterable[av.AudioFrame]) -> Iterator[av.AudioFrame | None]:
    yield from frames
    yield None  # flushes the resampler


def is_silent(samples: Samples) -> bool:
    """Nothing above the noise floor: no point in asking a model what was said."""
    if len(samples) == 0:
        return True
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) < SILENCE_RMS


def resample(pcm: Pcm, sample_rate: int) -> Samples:
    if pcm.sample_rate == sample_rate:
        return pcm.samples
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks = [
        converted.to_ndarray().reshape(-1)
        for frame in (_frame(pcm.samples, pcm.sample_rate), None)
        for converted in resampler.resample(frame)
    ]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def _frame(samples: Samples, sample_rate: int) -> av.AudioFrame:
    import av

    pcm16 = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm16.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = sample_rate
    return frame


def encode_ogg_opus(samples: Samples, sample_rate: int, *, bitrate: int = VOICE_BITRATE) -> bytes:
    """`samples` as an OGG/Opus file, 48 kHz mono (what Telegram plays as a voice note)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=VOICE_RATE, layout="mono")
        stream.bit_rate = bitrate
        stream.codec_context.options = {"vbr": "constrained"}  # keeps to the bitrate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=VOICE_RATE)
        for frame in (_frame(samples, sample_rate), None):
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def encode_voice_note(pieces: list[Pcm], *, max_seconds: float, pause: float = 0.25) -> VoiceNote:
    """The pieces one after another with a short pause between, cut at `max_seconds`."""
    gap = np.zeros(int(pause * VOICE_RATE), np.float32)
    joined: list[Samples] = []
    for index, piece in enumerate(pieces):
        if index:
            joined.append(gap)
        joined.append(resample(piece, VOICE_RATE))
    samples = np.concatenate(joined) if joined else np.zeros(0, np.float32)
    limit = int(max_seconds * VOICE_RATE)
    if len(samples) > limit:
        samples = samples[:limit].copy()
        fade = min(len(samples), VOICE_RATE // 20)  # 50 ms, so the cut does not click
        samples[len(samples) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    seconds = len(samples) / VOICE_RATE
    # long notes get a lower bitrate, so that they still show as voice notes
    bitrate = max(MIN_BITRATE, min(VOICE_BITRATE, int(VOICE_MAX_BYTES * 8 / max(seconds, 1))))
    return VoiceNote(encode_ogg_opus(samples, VOICE_RATE, bitrate=bitrate), seconds)
