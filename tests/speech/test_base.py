"""What every speech-to-text model gets from the base: the file decoded once at its rate, the
length limit on the decoded sound, silence answered without the model, one job at a time."""

from __future__ import annotations

import asyncio

import pytest

from tgtrainer.speech.audio import Recording
from tgtrainer.speech.base import SpeechToText, Transcript
from tgtrainer.speech.errors import AudioDecodeError, AudioTooLongError
from tgtrainer.testing.media import jfk_recording, silence, to_voice_note, tone_voice_note


class SlowSpeechToText(SpeechToText):
    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.most_at_once = 0
        self.order: list[float] = []
        self.heard: list[Recording] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.gate.wait()
        await asyncio.sleep(0.001)
        self.order.append(round(recording.duration, 1))
        self.heard.append(recording)
        self.running -= 1
        return Transcript("x", language, recording.duration)


async def test_transcriptions_of_one_model_queue_up_in_order() -> None:
    stt = SlowSpeechToText()
    stt.gate.clear()  # the first job holds the model until all five are queued
    jobs = []
    for i in range(5):
        jobs.append(
            asyncio.create_task(stt.transcribe(tone_voice_note(0.5 + i / 2), language=None))
        )
        while stt.waiting < i + 1:  # noqa: ASYNC110 - decoded in a thread, then it queues
            await asyncio.sleep(0.001)
    assert stt.waiting == 5
    stt.gate.set()
    await asyncio.gather(*jobs)
    assert stt.most_at_once == 1
    assert stt.order == [0.5, 1.0, 1.5, 2.0, 2.5]
    assert stt.waiting == 0


async def test_the_backend_gets_the_file_as_received_and_its_sound_at_its_rate() -> None:
    stt = SlowSpeechToText()
    note = tone_voice_note(1.0)
    transcript = await stt.transcribe(note, language="en")
    [recording] = stt.heard
    assert recording.data == note and recording.container == "ogg"
    assert recording.sample_rate == 16_000 and len(recording.samples) == pytest.approx(16_000, 400)
    assert transcript.duration == pytest.approx(1.0, abs=0.03)


async def test_silence_is_an_empty_transcript_without_the_model() -> None:
    stt = SlowSpeechToText()
    transcript = await stt.transcribe(silence(2), language=None)
    assert transcript.text == "" and transcript.duration == pytest.approx(2.0, abs=0.05)
    assert stt.heard == []


async def test_the_limit_holds_on_the_decoded_sound_and_damage_is_refused() -> None:
    stt = SlowSpeechToText()
    with pytest.raises(AudioTooLongError):
        await stt.transcribe(to_voice_note(jfk_recording()), language=None, max_seconds=5)
    with pytest.raises(AudioDecodeError):
        await stt.transcribe(b"\x00garbage" * 50, language=None, max_seconds=5)
    assert stt.heard == []
