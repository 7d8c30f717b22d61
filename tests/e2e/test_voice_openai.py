"""Voice through an OpenAI-compatible server (the fake one): the real bot process sends the
recording to `audio.transcriptions` and gets its voice answer from `audio.speech`."""

from __future__ import annotations

from typing import Any

import pytest

from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import inspect, to_video_note, tone_voice_note

pytestmark = pytest.mark.usefixtures("bot")
ANSWER_TIMEOUT = 60


BOT_SETTINGS = {
    "STT_BACKEND": "openai",
    "TTS_BACKEND": "openai",
    "TTS_VOICE": "echo",
    "STT_LANGUAGE": "en",
}


@pytest.mark.parametrize(
    ("kind", "file_name", "mime_type"),
    [
        ("voice", "voice.ogg", "audio/ogg"),
        ("video_note", "round.mp4", "video/mp4"),
        ("video", "clip.mp4", "video/mp4"),
        ("document", "memo.ogg", "audio/ogg"),  # an audio file sent as a file
    ],
)
async def test_voice_video_and_audio_files_are_heard_and_answered_aloud(
    client: SandboxClient,
    chat_id: int,
    fake_openai: FakeOpenAIServer,
    kind: str,
    file_name: str,
    mime_type: str,
) -> None:
    recording = tone_voice_note(2.0)
    if kind in ("video_note", "video"):
        recording = to_video_note(recording)
    fake_openai.audio_requests.clear()
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(
        chat_id, recording, kind=kind, file_name=file_name, mime_type=mime_type, duration=2
    )
    fresh = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda fresh: {"text", "voice"} <= {m["kind"] for m in fresh},
        timeout=ANSWER_TIMEOUT,
    )
    transcription, speech = fake_openai.audio_requests
    assert transcription["endpoint"] == "transcriptions" and transcription["language"] == "en"
    assert inspect(transcription["file_bytes"])[4] == pytest.approx(2.0, abs=0.1)
    assert transcription["file_bytes"] == recording  # uploaded as received, not re-encoded
    assert transcription["file_name"] == ("voice.mp4" if kind.startswith("video") else "voice.ogg")
    assert fake_openai.requests[-1]["messages"][-1]["content"] == fake_openai.transcript
    assert speech["voice"] == "echo" and speech["response_format"] == "opus"
    assert speech["input"] == f"You said: {fake_openai.transcript}"
    [voice] = [m for m in fresh if m["kind"] == "voice"]
    assert inspect(await client.download(voice["file_id"]))[:4] == ("ogg", "opus", 48_000, 1)


async def test_the_transcription_server_down_gets_a_sentence(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.fail_next(503, count=2, endpoint="transcriptions")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(chat_id, tone_voice_note(1.0), kind="voice", duration=1)
    [answer] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert answer["text"] == "Speech recognition is not working right now, try again in a minute."


async def test_in_groups_only_voice_messages_that_reply_to_the_bot_are_heard(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    group, user = -chat_id, chat_id
    fake_openai.audio_requests.clear()
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(group, tone_voice_note(1.0), kind="voice", duration=1, user_id=user)
    await client.send_text(group, "@tgtrainer_bot ping", user_id=user)
    [pong] = await client.wait_for_bot_messages(
        group, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert pong["text"] == "You said: ping"
    assert fake_openai.audio_requests == []  # the voice note to nobody in particular was let be

    after = (await client.events(after=0, timeout=0))["last_seq"]
    sent = await client.send_file(
        group,
        tone_voice_note(1.0),
        kind="voice",
        duration=1,
        user_id=user,
        reply_to=pong["message_id"],
    )
    fresh = await client.wait_for_bot_messages(
        group,
        after_seq=after,
        until=lambda fresh: {"text", "voice"} <= {m["kind"] for m in fresh},
        timeout=ANSWER_TIMEOUT,
    )
    question = sent["message"]["message_id"]
    assert all(m["reply_to_message_id"] == question for m in fresh)


async def test_a_language_the_speech_model_does_not_know_is_refused_by_command_and_button(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    """The defect: /language zz (or a forged lang:zz button) was saved, then every voice note
    in the chat failed with "Something went wrong"."""

    async def say(text: str) -> dict[str, Any]:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        await client.send_text(chat_id, text, user_id=chat_id)
        [reply] = await client.wait_for_bot_messages(
            chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
        )
        return reply

    refused = await say("/language zz")
    assert refused["text"].startswith('I cannot listen for "zz": send /language with a language')
    assert "de, el, en" in refused["text"] and "/language auto" in refused["text"]
    menu = await say("/language")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.press_button(chat_id, menu["message_id"], "lang:zz", user_id=chat_id)
    events = await client.events(after=after, timeout=ANSWER_TIMEOUT, chat_id=chat_id)
    [answer] = [e for e in events["events"] if e["type"] == "callback_answer"]
    assert answer["text"] == "That choice is no longer offered; send /language again."
    assert "I listen for en" in (await say("/language"))["text"]  # STT_LANGUAGE still rules

    fake_openai.audio_requests.clear()
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(chat_id, tone_voice_note(1.0), kind="voice", duration=1)
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert fresh[0]["text"].endswith(f"You said: {fake_openai.transcript}")
    assert fake_openai.audio_requests[0]["language"] == "en"
