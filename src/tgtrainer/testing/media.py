"""Media for tests: the JFK recording made into what Telegram clients send, tones, a PNG.

Conversion uses PyAV directly (not the product's code), so the product is tested against files
it did not make itself.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import struct
import wave
from pathlib import Path

import av
import numpy as np

__all__ = [
    "JFK_FLAC",
    "JFK_SHA256",
    "JFK_TEXT",
    "PROJECT_ROOT",
    "FixtureError",
    "inspect",
    "jfk_recording",
    "png",
    "samples_to_voice_note",
    "silence",
    "to_video_note",
    "to_voice_note",
    "tone_voice_note",
    "tone_wav",
]

# The checkout this file is in (src/tgtrainer/testing/media.py): its fixtures sit beside it.
PROJECT_ROOT = Path(__file__).resolve().parents[3]
JFK_FLAC = PROJECT_ROOT.parent / "shared" / "fixtures" / "audio" / "jfk.flac"
JFK_SHA256 = "1f728a8b2e23eae18566121f741c7a1299d6cd457d825d04740ff2a6e1e0a7e7"  # its README's
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


class FixtureError(Exception):
    """A shared fixture is missing or not the file its README describes."""


@functools.cache
def jfk_recording() -> bytes:
    """The shared JFK recording (11 s, 16 kHz FLAC), checked against its README's sha256."""
    if not JFK_FLAC.is_file():
        raise FixtureError(
            f"{JFK_FLAC} is missing: the speech tests and benchmarks read the JFK recording "
            "from ../shared/fixtures (next to the project's folder)"
        )
    data = JFK_FLAC.read_bytes()
    found = hashlib.sha256(data).hexdigest()
    if found != JFK_SHA256:
        raise FixtureError(
            f"{JFK_FLAC} is damaged: its sha256 is {found}, its README gives {JFK_SHA256}; "
            "restore the file"
        )
    return data


def to_voice_note(data: bytes, *, max_seconds: float | None = None) -> bytes:
    """Any audio as a Telegram voice note: OGG/Opus, 48 kHz, mono (cut at `max_seconds`)."""
    output = io.BytesIO()
    with av.open(io.BytesIO(data), "r") as source, av.open(output, "w", format="ogg") as target:
        stream = target.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        written = 0
        for frame in [*source.decode(audio=0), None]:
            for converted in resampler.resample(frame):
                if max_seconds is not None and written >= max_seconds * 48_000:
                    break
                written += converted.samples
                for packet in stream.encode(converted):
                    target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return output.getvalue()


def samples_to_voice_note(samples: np.ndarray, sample_rate: int) -> bytes:
    """Float samples in [-1, 1] as a voice note."""
    output = io.BytesIO()
    with av.open(output, "w", format="ogg") as target:
        stream = target.add_stream("libopus", rate=48_000, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        for piece in (frame, None):
            for converted in resampler.resample(piece):
                for packet in stream.encode(converted):
                    target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return output.getvalue()


def tone_voice_note(seconds: float, hertz: float = 220.0) -> bytes:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return samples_to_voice_note((0.3 * np.sin(2 * np.pi * hertz * t)).astype(np.float32), 16_000)


def to_video_note(voice_note: bytes) -> bytes:
    """A round video note (MP4: a small grey H.264 square and AAC sound) with that sound."""
    output = io.BytesIO()
    with (
        av.open(io.BytesIO(voice_note), "r") as source,
        av.open(output, "w", format="mp4") as target,
    ):
        video = target.add_stream("libx264", rate=10)
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        sound = target.add_stream("aac", rate=48_000, layout="mono")
        seconds = 0.0
        for frame in source.decode(audio=0):
            frame.pts = None
            seconds += frame.samples / frame.sample_rate
            for packet in sound.encode(frame):
                target.mux(packet)
        for packet in sound.encode(None):
            target.mux(packet)
        grey = np.full((64, 64, 3), 128, np.uint8)
        for _ in range(max(1, int(seconds * 10))):
            for packet in video.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")):
                target.mux(packet)
        for packet in video.encode(None):
            target.mux(packet)
    return output.getvalue()


def silence(seconds: float) -> bytes:
    return samples_to_voice_note(np.zeros(int(seconds * 16_000), np.float32), 16_000)


def inspect(data: bytes) -> tuple[str, str, int, int, float]:
    """(container, codec, sample rate, channels, seconds of decoded sound) of an audio file."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        rate = stream.codec_context.sample_rate
        return (
            container.format.name,
            stream.codec_context.name,
            rate,
            stream.codec_context.channels,
            samples / rate,
        )


def tone_wav(seconds: float, *, rate: int = 16_000, channels: int = 1, hz: float = 440) -> bytes:
    frames = int(seconds * rate)
    samples = (int(9000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples))
    return buffer.getvalue()


def png(width: int, height: int) -> bytes:
    frame = av.VideoFrame(width, height, "rgb24")
    output = io.BytesIO()
    with av.open(output, "w", format="image2pipe") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return output.getvalue()
