"""Speech over an OpenAI-compatible server (the fake one, over real HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from tgtrainer.config import Settings
from tgtrainer.speech.audio import Recording
from tgtrainer.speech.errors import (
    AudioTooLongError,
    SpeechConfigurationError,
    SpeechUnavailableError,
)
from tgtrainer.speech.openai_speech import OpenAISpeechToText, OpenAITextToSpeech, upload
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import inspect, samples_to_voice_note, silence, to_video_note, tone_wav

KEY = "sk-secret-speech-key"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY).serve_in_thread() as server:
        yield server


def settings(server: FakeOpenAIServer, **extra: object) -> Settings:
    return Settings(
        openai_base_url=server.base_url,
        openai_api_key=KEY,
        llm_max_retries=1,
        llm_timeout=5,
        **extra,  # type: ignore[arg-type]
    )


def speech_samples(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def speech_note(seconds: float = 1.0) -> bytes:
    return samples_to_voice_note(speech_samples(seconds), 16_000)


async def test_transcription_uploads_the_voice_note_as_received_with_the_language(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server, stt_model="gpt-4o-transcribe"))
    note = speech_note(2.0)
    transcript = await stt.transcribe(note, language="de")
    await stt.aclose()
    assert transcript.text == server.transcript and transcript.language == "de"
    assert transcript.duration == pytest.approx(2.0, abs=0.03)
    [request] = server.audio_requests
    assert request["model"] == "gpt-4o-transcribe" and request["language"] == "de"
    assert request["file_bytes"] == note  # the very file, not a re-encoding
    assert request["file_name"] == "voice.ogg"


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: to_video_note(speech_note(1.5)), "voice.mp4"),
        (lambda: tone_wav(1.5), "voice.wav"),
    ],
)
async def test_other_formats_travel_as_they_are_named_by_their_container(
    server: FakeOpenAIServer, make: Callable[[], bytes], name: str
) -> None:
    stt = OpenAISpeechToText(settings(server))
    data = make()
    await stt.transcribe(data, language="en")
    await stt.aclose()
    [request] = server.audio_requests
    assert request["file_bytes"] == data and request["file_name"] == name


def test_a_container_the_api_does_not_take_is_re_encoded_as_ogg_opus() -> None:
    sound = speech_samples(1.0)
    name, data, mime_type = upload(Recording(b"RIFF....AVI ", "avi", sound, 16_000))
    assert (name, mime_type) == ("voice.ogg", "audio/ogg")
    assert inspect(data)[:2] == ("ogg", "opus")
    assert inspect(data)[4] == pytest.approx(1.0, abs=0.05)


async def test_silence_and_recordings_over_the_limit_never_reach_the_server(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server))
    assert (await stt.transcribe(silence(2), language=None)).text == ""
    with pytest.raises(AudioTooLongError):
        await stt.transcribe(speech_note(3.0), language=None, max_seconds=2)
    await stt.aclose()
    assert server.audio_requests == []


async def test_transcription_without_a_language_lets_the_server_detect_it(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server))
    transcript = await stt.transcribe(speech_note(), language=None)
    await stt.aclose()
    assert transcript.language is None
    assert "language" not in server.audio_requests[0]
    assert server.audio_requests[0]["model"] == "whisper-1"


async def test_speech_asks_for_opus_and_comes_back_as_a_voice_note(
    server: FakeOpenAIServer,
) -> None:
    tts = OpenAITextToSpeech(settings(server, tts_voice="nova", tts_model="tts-1"))
    note = await tts.speak(
        "First sentence. Second one! And a third?", language="en", max_seconds=60
    )
    await tts.aclose()
    assert note is not None
    [request] = server.audio_requests  # short sentences travel together
    assert request == {
        "endpoint": "speech",
        "model": "tts-1",
        "voice": "nova",
        "input": "First sentence. Second one! And a third?",
        "response_format": "opus",
    }
    assert inspect(note.data)[:4] == ("ogg", "opus", 48_000, 1)
    assert note.duration == pytest.approx(0.05 * len(request["input"]), abs=0.05)


async def test_server_failures_become_speech_errors_without_the_key(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server))
    server.fail_next(503, count=2, endpoint="transcriptions")
    with pytest.raises(SpeechUnavailableError) as unavailable:
        await stt.transcribe(speech_note(), language=None)
    server.fail_next(401, endpoint="transcriptions")
    with pytest.raises(SpeechConfigurationError) as refused:
        await stt.transcribe(speech_note(), language=None)
    await stt.aclose()
    for error in (unavailable.value, refused.value):
        assert KEY not in f"{error} {error.detail} {error!r}"
    tts = OpenAITextToSpeech(settings(server))
    server.fail_next(500, count=2, endpoint="speech")
    with pytest.raises(SpeechUnavailableError):
        await tts.speak("Hello.", language="en", max_seconds=10)
    await tts.aclose()
