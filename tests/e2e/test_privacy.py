"""/forget_me end to end: after the confirmation, nothing of the user is left in the database
file, its write-ahead log or the data directory; and a daily quota stops a user with one
sentence naming the limit and its reset."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotProcess, running_bot
from tests.e2e.test_closed_access import buttons, press, say, text_of, text_when
from tgtrainer.bot.privacy import CONFIRM
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

FORGETFUL = 7_200_001
LIMITED = 7_200_002
SECRETS = ["quokkamango first message", "quokkamango second message"]
DOCUMENT = b"The quokkamango treaty was signed under the violet lighthouse."


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("privacy-bot")


@pytest.fixture(scope="module")
def private_bot(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path
) -> Iterator[BotProcess]:
    with running_bot(sandbox_server, fake_openai, data_dir, QUOTA_MESSAGES="2") as process:
        yield process


@pytest.fixture
async def client(
    sandbox_server: SandboxServer, private_bot: BotProcess
) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_server.url) as client:
        yield client


def everything_in(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


async def send_document(client: SandboxClient, chat_id: int, data: bytes) -> list[dict[str, Any]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_file(chat_id, data, file_name="treaty.txt", mime_type="text/plain")
    return await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda fresh: any("Learned" in m["text"] for m in fresh),
        timeout=30,
    )


async def test_forget_me_leaves_nothing_of_the_user_in_the_data_directory(
    client: SandboxClient, data_dir: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in SECRETS:
        await say(client, FORGETFUL, text)
    await send_document(client, FORGETFUL, DOCUMENT)
    assert b"quokkamango" in everything_in(data_dir)

    [confirm] = await say(client, FORGETFUL, "/forget_me")
    assert confirm["text"] == CONFIRM
    choices = buttons(confirm)
    await press(client, FORGETFUL, confirm["message_id"], choices["Cancel"], user_id=FORGETFUL)
    assert await text_of(client, FORGETFUL, confirm["message_id"], "Nothing was deleted.") == (
        "Nothing was deleted."
    )
    [confirm] = await say(client, FORGETFUL, "/forget_me")
    await press(client, FORGETFUL, confirm["message_id"], "forgetme:yes:1", user_id=1)
    await press(
        client,
        FORGETFUL,
        confirm["message_id"],
        buttons(confirm)["Delete everything"],
        user_id=FORGETFUL,
    )
    summary = await text_when(
        client, FORGETFUL, confirm["message_id"], lambda text: text.startswith("Deleted")
    )
    assert summary.startswith("Deleted everything I kept about you: 4 messages, 1 conversation, ")
    assert "1 document (1 passage)" in summary

    stored = everything_in(data_dir)
    for text in [*SECRETS, "quokkamango", "violet lighthouse"]:
        assert text.encode() not in stored, text
    # The in-memory index forgot the document too: a question finds no passage of it.
    await say(client, FORGETFUL, "Where was the treaty signed?")
    assert "violet" not in str(fake_openai.requests[-1]["messages"])


async def test_over_the_daily_message_quota_one_sentence_names_the_limit_and_its_reset(
    client: SandboxClient,
) -> None:
    for text in ("one", "two"):
        assert [m["text"] for m in await say(client, LIMITED, text)] == [f"You said: {text}"]
    [refusal] = await say(client, LIMITED, "three")
    assert refusal["text"].startswith(
        "You have reached your daily limit of 2 messages; it resets at midnight UTC, in "
    )
    [usage] = await say(client, LIMITED, "/usage")
    assert "Messages: 2 of 2" in usage["text"] and "midnight UTC" in usage["text"]
