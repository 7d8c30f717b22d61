"""Media as Telegram delivers it: voice notes are OGG/Opus, 48 kHz, mono; photos have a size."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import av
import httpx
import pytest

from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.sandbox.media import AudioError, duration, picture_size, to_voice_note
from tgtrainer.testing.media import png, tone_wav


def describe(data: bytes) -> tuple[str, str, int, int, float]:
    """(container, codec, sample rate, channels, seconds) of an audio file."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        context = stream.codec_context
        return (
            container.format.name,
            context.name,
            context.sample_rate,
            context.layout.nb_channels,
            samples / context.sample_rate,
        )


@pytest.mark.parametrize(("rate", "channels"), [(16_000, 1), (44_100, 2), (48_000, 2)])
def test_any_wav_becomes_an_ogg_opus_48_khz_mono_voice_note(rate: int, channels: int) -> None:
    note = to_voice_note(tone_wav(seconds=2.0, rate=rate, channels=channels))
    container, codec, sample_rate, layout, seconds = describe(note.data)
    assert (container, codec, sample_rate, layout) == ("ogg", "opus", 48_000, 1)
    assert seconds == pytest.approx(2.0, abs=0.05)
    assert note.duration == 2


def test_a_voice_note_is_kept_byte_for_byte() -> None:
    once = to_voice_note(tone_wav(seconds=3.4))
    twice = to_voice_note(once.data)
    assert twice.data == once.data
    assert twice.duration == once.duration == 3


@pytest.mark.parametrize("data", [b"", b"not audio at all" * 50])
def test_what_is_not_audio_is_one_clear_sentence(data: bytes) -> None:
    with pytest.raises(AudioError) as raised:
        to_voice_note(data)
    assert str(raised.value).endswith(".")


def test_the_duration_of_an_audio_file() -> None:
    assert duration(tone_wav(seconds=4.0)) == 4
    assert duration(b"garbage") == 0


@pytest.fixture
async def client() -> AsyncIterator[SandboxClient]:
    server = SandboxServer(port=0)
    await server.start()
    async with SandboxClient(server.url) as client:
        yield client
    await server.stop()


async def test_an_uploaded_voice_note_reaches_the_bot_as_telegram_sends_it(
    client: SandboxClient,
) -> None:
    sent = await client.send_file(
        77, tone_wav(seconds=1.5), kind="voice", file_name="rec.wav", mime_type="audio/wav"
    )
    voice = sent["message"]
    assert (voice["kind"], voice["mime_type"], voice["duration"]) == ("voice", "audio/ogg", 2)
    stored = await client.download(voice["file_id"])
    assert describe(stored)[:4] == ("ogg", "opus", 48_000, 1)


async def test_an_uploaded_audio_file_keeps_its_bytes_and_gets_its_duration(
    client: SandboxClient,
) -> None:
    wav = tone_wav(seconds=3.0)
    sent = await client.send_file(
        77, wav, kind="audio", file_name="song.wav", mime_type="audio/wav"
    )
    assert sent["message"]["duration"] == 3
    assert await client.download(sent["message"]["file_id"]) == wav


async def test_a_voice_note_that_is_not_audio_is_refused_with_a_sentence(
    client: SandboxClient,
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        await client.send_file(77, b"\x00" * 400, kind="voice", file_name="x.webm")
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "This file is not audio the sandbox can read."
    assert await client.messages(77) == []


def test_a_photo_has_its_size() -> None:
    assert picture_size(png(64, 48)) == (64, 48)
    assert picture_size(b"not a picture") == (1, 1)


async def test_an_uploaded_photo_reaches_the_bot_as_a_photo_with_its_size() -> None:
    server = SandboxServer(port=0)
    await server.start()
    try:
        async with SandboxClient(server.url) as client, httpx.AsyncClient() as bot:
            await client.send_file(77, png(32, 20), kind="photo", file_name="p.png")
            updates = (await bot.get(f"{server.url}/bot1:x/getUpdates")).json()["result"]
    finally:
        await server.stop()
    [photo] = updates[0]["message"]["photo"]
    assert (photo["width"], photo["height"]) == (32, 20)


async def test_a_voice_note_sent_as_is_reaches_the_bot_unchanged(client: SandboxClient) -> None:
    broken = b"OggS but not really" * 20
    sent = await client.send_file(
        77, broken, kind="voice", file_name="v.ogg", mime_type="audio/ogg", duration=4, as_is=True
    )
    assert (sent["message"]["duration"], sent["message"]["mime_type"]) == (4, "audio/ogg")
    assert await client.download(sent["message"]["file_id"]) == broken


async def test_an_empty_document_reaches_the_bot_which_must_explain_it(
    client: SandboxClient,
) -> None:
    sent = await client.send_file(77, b"", kind="document", file_name="empty.txt")
    assert sent["message"]["file_size"] == 0
    assert await client.download(sent["message"]["file_id"]) == b""
