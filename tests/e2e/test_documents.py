"""Documents through the real bot process: each kind of file learned and answered from with
its place cited; every bad input told in one clear sentence. Who sees and changes what is in
test_document_scopes.py.

The bot embeds with the real bundled all-MiniLM-L6-v2 (EMBEDDINGS_BACKEND=local); the chat model
is the fake OpenAI server, which echoes, so what reached the model is read from its requests.
"""

from __future__ import annotations

import asyncio
import codecs
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BotProcess
from tests.support.document_chat import (
    ANSWER_TIMEOUT,
    ask,
    documents_bot,
    last_seq,
    prompt_for,
    send_document,
)
from tests.support.documents import (
    make_docx,
    make_lying_zip,
    make_pdf,
    make_scanned_pdf,
    make_zip_bomb,
)
from tgtrainer.core.grounding import NOTHING_FOUND
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer


@pytest.fixture(scope="module")
def system_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-tmp")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-data")


@pytest.fixture(scope="module")
def temp_dir(data_dir: Path) -> Path:
    """Where the bot downloads the files it learns (emptied on every start)."""
    return data_dir / "tmp"


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    data_dir: Path,
    system_temp: Path,
) -> Iterator[BotProcess]:
    with documents_bot(sandbox_server, fake_openai, data_dir, system_temp) as process:
        yield process


pytestmark = pytest.mark.usefixtures("bot")


@pytest.mark.parametrize(
    ("make", "name"),
    [
        pytest.param(make_pdf, "zebulon.pdf", id="text-layer"),
        pytest.param(make_scanned_pdf, "zebulon-scan.pdf", id="scanned-read-by-ocr"),
    ],
)
async def test_a_pdf_fact_is_answered_with_its_page(
    client: SandboxClient,
    chat_id: int,
    fake_openai: FakeOpenAIServer,
    make: Callable[[list[str]], bytes],
    name: str,
) -> None:
    pages = [
        "Annual report of the Zebulon\norbital station.\nChapter one describes the crew.",
        "The emergency vault code\nof the Zebulon station\nis 4417-KAPPA.",
    ]
    status = await send_document(client, chat_id, make(pages), name)
    assert status.startswith(f"Learned {name}: 2 pages,")
    question = "What is the emergency vault code of the Zebulon station?"
    answer = await ask(client, chat_id, question)
    assert "4417-KAPPA" in prompt_for(fake_openai, question)
    assert answer["text"].startswith(f"You said: {question}")
    # One line per document: "[1][2] zebulon.pdf: p. 2, p. 1", the best place first.
    assert "Sources:" in answer["text"] and f"] {name}: p. 2" in answer["text"]
    sources = await ask(client, chat_id, "/sources")
    assert sources["text"].startswith(f"{name}\n[1] p. 2\n") and "4417-KAPPA" in sources["text"]


async def test_the_text_in_a_photo_is_learned_and_a_photo_without_text_is_explained(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    from PIL import Image, ImageDraw, ImageFont

    def photo_of(text: str) -> bytes:
        photo = Image.new("RGB", (1100, 260), "white")
        font = ImageFont.load_default(56)
        ImageDraw.Draw(photo).multiline_text((40, 50), text, fill="black", font=font)
        jpeg = io.BytesIO()
        photo.save(jpeg, "JPEG", quality=85)  # what Telegram makes of a photo
        return jpeg.getvalue()

    status = await send_document(
        client, chat_id, photo_of("Orchard house\ngate code 5521"), "a.jpg", kind="photo"
    )
    assert status.startswith("Learned photo "), status
    question = "What is the gate code of the Orchard house?"
    answer = await ask(client, chat_id, question)
    assert "5521" in prompt_for(fake_openai, question)
    assert "Sources:" in answer["text"] and "photo " in answer["text"]

    # A second photo the same day (an album sends several at once) is a document of its own.
    status = await send_document(
        client, chat_id, photo_of("Boathouse\nkey code 7310"), "b.jpg", kind="photo"
    )
    assert status.startswith("Learned photo "), status
    listed = (await ask(client, chat_id, "/docs"))["text"]
    assert listed.count("photo ") == 2, listed

    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 200)).save(blank, "JPEG")
    status = await send_document(client, chat_id, blank.getvalue(), "sky.jpg", kind="photo")
    assert status.startswith("I found no text in this image. I learn the text in pictures")


async def test_a_question_in_the_caption_is_answered_from_the_file_just_learned(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    question = "When is the rent for flat 12 due?"
    lease = "Lease of flat 12, Harbour Street. The rent is due on the third of each month."
    after = await last_seq(client)
    await client.send_file(chat_id, lease.encode(), file_name="lease.txt", caption=question)
    status, answer = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: len(ms) == 2 and "Sources:" in ms[1]["text"],
        timeout=ANSWER_TIMEOUT,
    )
    assert status["text"].startswith("Learned lease.txt")
    assert "third of each month" in prompt_for(fake_openai, question)
    assert answer["text"].startswith(f"You said: {question}")
    assert "lease.txt" in answer["text"]

    # In a group: the bot's @name is not part of the question, and the file is the group's.
    group = -(chat_id + 90_000)
    after = await last_seq(client)
    await client.send_file(
        group,
        b"The team dinner is at Nando's on Friday.",
        file_name="dinner.txt",
        caption="@tgtrainer_bot Where is the team dinner?",
        user_id=chat_id,
    )
    await client.wait_for_bot_messages(
        group,
        after_seq=after,
        until=lambda ms: len(ms) == 2 and "Sources:" in ms[1]["text"],
        timeout=ANSWER_TIMEOUT,
    )
    assert "Nando's" in prompt_for(fake_openai, "Where is the team dinner?")


async def test_a_long_document_shows_progress_in_one_edited_message(
    client: SandboxClient, chat_id: int
) -> None:
    words = "The lighthouse keeper logs the weather, the ships and the tides every hour."
    pages = [f"Page {n}. " + " ".join([words] * 25) for n in range(15)]
    after = await last_seq(client)
    status = await send_document(client, chat_id, make_pdf(pages), "logbook.pdf")
    assert status.startswith("Learned logbook.pdf: 15 pages,")
    events = (await client.events(after=after, timeout=0, chat_id=chat_id))["events"]
    sent = [e for e in events if e["type"] == "message" and e["message"]["from_bot"]]
    edits = [e for e in events if e["type"] == "edit"]
    assert len(sent) == 1, "progress must edit one message, not send many"
    shown = [e["message"]["text"] for e in edits]
    # How far it got shows when an edit is due: a quick run may show only "Learning 30 passages".
    assert any(text.startswith(("Reading page", "Learning ")) for text in shown), shown


async def test_a_docx_fact_is_answered_with_its_section(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    data = make_docx(
        "Greenhouse handbook",
        [
            ("Watering", "Water the ferns every morning."),
            ("Ventilation", "The north window of the greenhouse opens at exactly 23 degrees."),
        ],
        table=[["plant", "shelf"], ["orchid", "shelf 12"]],
    )
    status = await send_document(client, chat_id, data, "greenhouse.docx")
    assert status.startswith("Learned greenhouse.docx:")
    assert "First heading: Greenhouse handbook" in status
    question = "At what temperature does the north window of the greenhouse open?"
    answer = await ask(client, chat_id, question)
    assert "23 degrees" in prompt_for(fake_openai, question)
    assert "] greenhouse.docx: Ventilation" in answer["text"]


async def test_a_cp1251_text_fact_is_answered(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    text = (
        "Заметки о походе.\n\nПароль от сейфа на даче — ЛИПА-8812.\n\n"
        "Ключи от гаража лежат в синей банке."
    )
    status = await send_document(client, chat_id, text.encode("cp1251"), "дача.txt")
    assert status.startswith("Learned дача.txt:")
    question = "Какой пароль от сейфа на даче?"
    answer = await ask(client, chat_id, question)
    assert "ЛИПА-8812" in prompt_for(fake_openai, question)
    assert "дача.txt" in answer["text"]


async def test_nothing_relevant_says_so(client: SandboxClient, chat_id: int) -> None:
    await send_document(client, chat_id, b"Tulips bloom in the spring in Holland.", "t.txt")
    answer = await ask(client, chat_id, "How do jet engines produce thrust?")
    assert answer["text"].startswith(NOTHING_FOUND.strip("_"))
    assert "Sources:" not in answer["text"]


BAD_INPUTS = [
    pytest.param(b"x" * (1024 * 1024 + 10), "huge.txt", "accept files up to 1 MB", id="too-big"),
    pytest.param(b"MZ\x90\x00binary", "setup.exe", "send PDF, DOCX, TXT", id="unsupported"),
    pytest.param(b"%PDF-1.4\n%%garbage\x00\xff", "broken.pdf", "not a readable PDF", id="corrupt"),
    pytest.param(
        make_pdf(["secret"], password="pw"), "locked.pdf", "password-protected", id="encrypted"
    ),
    pytest.param(make_zip_bomb(unpacked_mb=40), "bomb.docx", "unpacks to 40 MB", id="zip-bomb"),
    pytest.param(
        make_lying_zip(unpacked_mb=50),
        "liar.docx",
        "This DOCX document unpacks to more than the 5 MB I accept.",
        id="zip-headers-lie-docx",
    ),
    pytest.param(
        make_lying_zip("OEBPS/chapter.xhtml", unpacked_mb=50),
        "liar.epub",
        "This EPUB book unpacks to more than the 5 MB I accept.",
        id="zip-headers-lie-epub",
    ),
    # Telegram refuses to send a 0-byte file (so does the sandbox): blank is the nearest thing.
    pytest.param(b" \n\t\n ", "blank.txt", "I found no text in blank.txt", id="blank"),
    pytest.param(make_pdf(["", ""]), "scan.pdf", "no text layer", id="no-text"),
    pytest.param(
        make_pdf([f"page {n}" for n in range(25)]), "tome.pdf", "at most 20 pages", id="pages"
    ),
]


@pytest.mark.parametrize(("data", "name", "sentence"), BAD_INPUTS)
async def test_bad_input_gets_one_clear_sentence_and_leaves_nothing(
    client: SandboxClient,
    chat_id: int,
    temp_dir: Path,
    system_temp: Path,
    data: bytes,
    name: str,
    sentence: str,
) -> None:
    status = await send_document(client, chat_id, data, name)
    assert sentence in status
    assert "Traceback" not in status and "Error" not in status
    assert name not in (await ask(client, chat_id, "/docs"))["text"]
    assert await asyncio.to_thread(lambda: list(temp_dir.iterdir())) == []
    assert await asyncio.to_thread(lambda: list(system_temp.iterdir())) == []


async def test_an_empty_utf16_file_with_only_a_bom_is_empty(
    client: SandboxClient, chat_id: int
) -> None:
    status = await send_document(client, chat_id, codecs.BOM_UTF16_LE, "bom.txt")
    assert status == "I found no text in bom.txt."
