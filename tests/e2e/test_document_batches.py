"""Many documents at once, through the real bot process: an album, a burst of files, a ZIP of
documents; one progress message for each batch, ending with a line for each document; /docs
lists them all; how much was learned, and a warning for a file that gave little text.

The chat model (and the embedder) is the fake OpenAI server, as in the test set-up's default
bot: these tests are about batches, not retrieval; what reached the model is read from the fake
server's requests.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.support.documents import make_docx, make_zip_bomb
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWER_TIMEOUT = 60
PROGRESS = ("Reading", "Learning")


BOT_SETTINGS = {"MAX_DOCUMENT_MB": "1", "MAX_UNPACKED_MB": "5"}


pytestmark = pytest.mark.usefixtures("bot")


async def last_seq(client: SandboxClient) -> int:
    seq: int = (await client.events(after=0, timeout=0))["last_seq"]
    return seq


async def send_together(
    client: SandboxClient, chat_id: int, files: list[tuple[str, bytes]], **kwargs: Any
) -> list[dict[str, Any]]:
    """Send `files` one right after another; the bot's messages once its status message stops
    showing progress (the status message first)."""
    after = await last_seq(client)
    for name, data in files:
        await client.send_file(chat_id, data, file_name=name, **kwargs)
    messages: list[dict[str, Any]] = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: bool(ms) and not ms[0]["text"].startswith(PROGRESS),
        timeout=ANSWER_TIMEOUT,
    )
    return messages


async def ask(client: SandboxClient, chat_id: int, text: str) -> str:
    after = await last_seq(client)
    await client.send_text(chat_id, text)
    messages = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) >= 1, timeout=ANSWER_TIMEOUT
    )
    return str(messages[0]["text"])


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_an_album_is_learned_under_one_status_message_with_a_line_each(
    client: SandboxClient, chat_id: int
) -> None:
    files = [
        ("ferry.txt", b"The ferry to Quillon island leaves at 7:40 from pier 3."),
        ("menu.md", b"# Menu\nThe Quillon cafe serves kelp soup on Fridays."),
        ("setup.exe", b"MZ not a document"),
        ("guide.docx", make_docx("Guide", [("Tides", "Quillon tides peak at noon.")])),
    ]
    messages = await send_together(client, chat_id, files, media_group_id="album-1")
    [status] = messages
    summary = status["text"]
    assert summary.startswith("Learned 3 of 4 documents:"), summary
    assert "• ferry.txt: 1 passage, 55 characters." in summary
    assert "• menu.md: 1 passage, 50 characters." in summary
    assert "• guide.docx: 2 passages, 38 characters." in summary  # a small file: no warning
    assert "✗ setup.exe: I can't read .exe files" in summary
    assert "In all: 4 passages, 143 characters. Ask me about them." in summary
    assert "mostly pictures" not in summary

    listing = await ask(client, chat_id, "/docs")
    for name in ("ferry.txt", "menu.md", "guide.docx"):
        assert name in listing
    assert "setup.exe" not in listing


async def test_a_burst_of_files_without_an_album_is_one_batch(
    client: SandboxClient, chat_id: int
) -> None:
    files = [
        ("north.txt", b"The north gate of Varnholt opens at dawn."),
        ("south.txt", b"The south gate of Varnholt closes at dusk."),
    ]
    [status] = await send_together(client, chat_id, files)
    assert status["text"].startswith("Learned 2 of 2 documents:"), status["text"]


async def test_a_zip_of_documents_is_learned_file_by_file_and_listed(
    client: SandboxClient, chat_id: int
) -> None:
    archive = zipped(
        {
            "handbook/rules.txt": b"Members of the Ostrava rowing club row on Tuesdays.",
            "handbook/fees.md": b"# Fees\nThe Ostrava club fee is 40 euros a year.",
            "inner.zip": zipped({"deep.txt": b"hidden"}),
            "__MACOSX/._rules.txt": b"resource fork",
        }
    )
    [status] = await send_together(client, chat_id, [("club.zip", archive)])
    summary = status["text"]
    assert summary.startswith("Learned 2 of 3 documents:"), summary
    assert "• club.zip/handbook/rules.txt: 1 passage," in summary
    assert "✗ club.zip/inner.zip: I don't open archives inside archives." in summary

    listing = await ask(client, chat_id, "/docs")
    assert "club.zip/handbook/rules.txt" in listing and "club.zip/handbook/fees.md" in listing
    assert "__MACOSX" not in listing


async def test_a_zip_bomb_is_refused_in_the_summary(client: SandboxClient, chat_id: int) -> None:
    bomb = make_zip_bomb("notes.txt", unpacked_mb=50)
    [status] = await send_together(client, chat_id, [("bomb.zip", bomb)])
    assert status["text"].startswith("Learned 0 of 1 document:"), status["text"]
    assert "unpacks to 50 MB, more than the 5 MB I accept" in status["text"]


async def test_a_page_that_gives_little_text_for_its_size_is_learned_with_a_warning(
    client: SandboxClient, chat_id: int
) -> None:
    script = "var data = [" + ",".join(str(n) for n in range(20_000)) + "];"
    page = f"<html><body><script>{script}</script><p>Only this line.</p></body></html>"
    [status] = await send_together(client, chat_id, [("app.html", page.encode())])
    text = status["text"]
    assert text.startswith("Learned app.html: 1 passage, 15 characters."), text
    assert "This 106.4 KB file gave only 15 characters; it may be mostly pictures or scripts." in (
        text
    )


async def test_a_caption_on_an_album_is_answered_once_all_are_learned(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    files = [
        ("east.txt", b"The east wing of Lindqvist hall holds the library."),
        ("west.txt", b"The west wing of Lindqvist hall holds the kitchen."),
    ]
    after = await last_seq(client)
    await client.send_file(
        chat_id,
        files[0][1],
        file_name=files[0][0],
        caption="Where is the Lindqvist kitchen?",
        media_group_id="album-2",
    )
    await client.send_file(chat_id, files[1][1], file_name=files[1][0], media_group_id="album-2")
    messages = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: len(ms) >= 2 and not ms[0]["text"].startswith(PROGRESS),
        timeout=ANSWER_TIMEOUT,
    )
    assert messages[0]["text"].startswith("Learned 2 of 2 documents:")
    asked = [r for r in fake_openai.requests if "Lindqvist kitchen" in str(r["messages"][-1])]
    assert asked, "the caption's question never reached the model"
    question = str(asked[-1]["messages"][-1]["content"])
    assert "west wing of Lindqvist hall holds the kitchen" in question
