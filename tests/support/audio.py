"""Sound made by the tests themselves: a tone as a WAV file."""

from __future__ import annotations

import io
import math
import struct
import wave


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
