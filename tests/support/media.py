"""Media made by the tests themselves: a tone as a WAV file, a picture as a PNG."""

from __future__ import annotations

import io
import math
import struct
import wave

import av


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
