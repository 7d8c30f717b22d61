"""Speech over an OpenAI-compatible server (the fake one, over real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tgtrainer.config import Settings
from tgtrainer.speech.errors import SpeechConfigurationError, SpeechUnavailableError
from tgtrainer.speech.openai_speech import OpenAISpeechToText, OpenAITextToSpeech
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import inspect

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


async def test_transcription_uploads_an_ogg_opus_file_with_the_language(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server, stt_model="gpt-4o-transcribe"))
    transcript = await stt.transcribe(speech_samples(2.0), language="de")
    await stt.aclose()
    assert transcript.text == server.transcript and transcript.language == "de"
    assert transcript.duration == pytest.approx(2.0)
    [request] = server.audio_requests
    assert request["model"] == "gpt-4o-transcribe" and request["language"] == "de"
    assert inspect(request["file_bytes"])[:2] == ("ogg", "opus")
    assert inspect(request["file_bytes"])[4] == pytest.approx(2.0, abs=0.05)


async def test_transcription_without_a_language_lets_the_server_detect_it(
    server: FakeOpenAIServer,
) -> None:
    stt = OpenAISpeechToText(settings(server))
    transcript = await stt.transcribe(speech_samples(), language=None)
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
        await stt.transcribe(speech_samples(), language=None)
    server.fail_next(401, endpoint="transcriptions")
    with pytest.raises(SpeechConfigurationError) as refused:
        await stt.transcribe(speech_samples(), language=None)
    await stt.aclose()
    for error in (unavailable.value, refused.value):
        assert KEY not in f"{error} {error.detail} {error!r}"
    tts = OpenAITextToSpeech(settings(server))
    server.fail_next(500, count=2, endpoint="speech")
    with pytest.raises(SpeechUnavailableError):
        await tts.speak("Hello.", language="en", max_seconds=10)
    await tts.aclose()
