"""What every speech-to-text model gets from the base: one job at a time, in order."""

from __future__ import annotations

import asyncio

import numpy as np

from tgtrainer.speech.audio import Samples
from tgtrainer.speech.base import SpeechToText, Transcript


class SlowSpeechToText(SpeechToText):
    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.most_at_once = 0
        self.order: list[float] = []

    async def transcribe_samples(
        self, samples: Samples, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await asyncio.sleep(0.01)
        self.order.append(float(samples[0]))
        self.running -= 1
        return Transcript("x", language, 0.0)


async def test_transcriptions_of_one_model_queue_up_in_order() -> None:
    stt = SlowSpeechToText()
    jobs = [
        asyncio.create_task(stt.transcribe(np.full(10, i, np.float32), language=None))
        for i in range(5)
    ]
    await asyncio.sleep(0)
    assert stt.waiting == 5
    await asyncio.gather(*jobs)
    assert stt.most_at_once == 1
    assert stt.order == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert stt.waiting == 0
