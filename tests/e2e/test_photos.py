"""Photos through the real bot process: seen by a vision model behind the fake OpenAI server
(the picture it receives, downscaled; the picture again in the next turn), the fall-back to the
OCR text when the server refuses pictures, and the local model's plain sentence."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotProcess, running_bot
from tgtrainer.core.photos import NO_SIGHT, PHOTO_MARK
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWER_TIMEOUT = 60
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
MAX_SIDE = 1568
PROGRESS = ("Reading", "Learning")


BOT_SETTINGS = {"EMBEDDINGS_BACKEND": "openai", "VISION_KEEP_TURNS": "1"}
"""LLM_BACKEND=openai (the fake server): VISION=auto sends pictures."""


pytestmark = pytest.mark.usefixtures("bot")


def car_photo(width: int = 4000, height: int = 3000, sign: str = "GARAGE 42") -> bytes:
    """A phone-sized photo: a red car under a sign (for OCR) on a grey street."""
    from PIL import Image, ImageDraw, ImageFont

    photo = Image.new("RGB", (width, height), (120, 120, 120))
    draw = ImageDraw.Draw(photo)
    draw.rectangle((0, 0, width, height // 3), fill="white")
    if sign:
        font = ImageFont.truetype(str(DEJAVU), height // 10) if DEJAVU.is_file() else None
        draw.text((width // 10, height // 10), sign, fill="black", font=font)
    draw.rectangle((width // 4, height // 2, 3 * width // 4, 5 * height // 6), fill=(200, 20, 20))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def send(client: SandboxClient, chat_id: int, **kwargs: Any) -> str:
    """Send a photo (`data`) or a text; the bot's answer once it is final."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    if "data" in kwargs:
        await client.send_file(chat_id, kwargs.pop("data"), kind="photo", **kwargs)
    else:
        await client.send_text(chat_id, kwargs.pop("text"), **kwargs)
    [answer] = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: bool(ms) and not ms[-1]["text"].startswith(PROGRESS),
        timeout=ANSWER_TIMEOUT,
    )
    return str(answer["text"])


def request_with(fake: FakeOpenAIServer, words: str) -> dict[str, Any]:
    """The last chat request whose last user message contains `words`."""
    for request in reversed(fake.requests):
        last = request["messages"][-1]
        content = last["content"]
        text = content if isinstance(content, str) else content[0]["text"]
        if last["role"] == "user" and words in text:
            return request
    raise AssertionError(f"no request asked {words!r}")


def pictures_in(request: dict[str, Any]) -> list[bytes]:
    """The pictures of a chat request's messages, decoded from their data URLs."""
    found = []
    for message in request["messages"]:
        if isinstance(message["content"], list):
            for part in message["content"]:
                if part["type"] == "image_url":
                    url = part["image_url"]["url"]
                    assert url.startswith("data:image/jpeg;base64,"), url[:40]
                    found.append(base64.b64decode(url.split(",", 1)[1], validate=True))
    return found


def jpeg_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


async def test_a_photo_is_seen_by_the_model_and_stays_in_the_conversation(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    answer = await send(client, chat_id, data=car_photo(), caption="What is parked here?")
    assert answer.startswith(f"You said: {PHOTO_MARK}"), answer
    request = request_with(fake_openai, "What is parked here?")
    [picture] = pictures_in(request)
    assert jpeg_size(picture) == (MAX_SIDE, MAX_SIDE * 3 // 4)  # 4000 x 3000, downscaled
    text = request["messages"][-1]["content"][0]["text"]
    assert "Text read in the photo (OCR, eng)" in text and "GARAGE 42" in text, text

    await send(client, chat_id, text="And what colour is the car?")
    follow_up = request_with(fake_openai, "And what colour is the car?")
    assert pictures_in(follow_up) == [picture]  # the picture goes along with the next turn
    assert any(
        m["role"] == "assistant" and m["content"].startswith(f"You said: {PHOTO_MARK}")
        for m in follow_up["messages"]
    )

    # VISION_KEEP_TURNS=1: after that turn only the text stays (the model's description).
    await send(client, chat_id, text="Is it a sports car?")
    later = request_with(fake_openai, "Is it a sports car?")
    assert pictures_in(later) == []
    assert any(
        isinstance(m["content"], str) and "GARAGE 42" in m["content"] for m in later["messages"]
    )


async def test_a_photo_without_a_caption_is_described(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    answer = await send(client, chat_id, data=car_photo(800, 600, sign=""))
    assert answer == f"You said: {PHOTO_MARK}\n\nDescribe this picture.", answer


async def test_a_photo_captioned_teach_is_learned_not_looked_at(
    client: SandboxClient, chat_id: int
) -> None:
    status = await send(client, chat_id, data=car_photo(1200, 900), caption="/teach")
    assert status.startswith("Learned photo "), status
    assert "Read with OCR (eng)." in status


async def test_a_server_that_refuses_pictures_gets_the_ocr_text_told_once(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.refuse_pictures = True
    try:
        answer = await send(client, chat_id, data=car_photo(1200, 900), caption="Sign?")
        assert answer.startswith("This model does not accept pictures, so I answered from the")
        assert "GARAGE 42" in answer  # the echo of the OCR text
        answer = await send(client, chat_id, data=car_photo(1200, 900), caption="Again?")
        assert answer.startswith(f"You said: {PHOTO_MARK}"), answer  # said once per chat
        assert pictures_in(request_with(fake_openai, "Again?")) == []
        answer = await send(client, chat_id, data=car_photo(800, 600, sign=""))
        assert answer.startswith("This model does not accept pictures, and I found no text")
    finally:
        fake_openai.refuse_pictures = False


async def test_with_the_local_model_photos_are_read_and_the_user_told_how_to_see_them(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
    client: SandboxClient,
    chat_id: int,
    bot: BotProcess,
) -> None:
    data_dir = tmp_path_factory.mktemp("local-bot-data")
    not_a_model = data_dir / "stand-in.gguf"  # the photo path never asks the chat model
    not_a_model.write_bytes(b"not a model")
    bot.stop()  # one bot polls the sandbox at a time
    try:
        with running_bot(
            sandbox_server,
            fake_openai,
            data_dir,
            LLM_BACKEND="local",
            LLM_MODEL_PATH=str(not_a_model),
            EMBEDDINGS_BACKEND="openai",
        ):
            status = await send(client, chat_id, data=car_photo(1200, 900))
            assert status.startswith("Learned photo "), status
            assert status.endswith(NO_SIGHT), status
            status = await send(client, chat_id, data=car_photo(1200, 900, sign="BAKERY 7"))
            assert NO_SIGHT not in status  # once per chat
    finally:
        bot.start()
