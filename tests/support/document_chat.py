"""Talking to the real bot process about documents: send a file and read the status it ends
with, ask and read the answer, read the prompt the (echoing) fake model got; and the bot the
document tests run, with small limits and its own temporary folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import BotProcess, asked, running_bot
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWER_TIMEOUT = 60
ADMIN = 777_001
PROGRESS = ("Reading", "Learning")


@contextlib.contextmanager
def documents_bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    data_dir: Path,
    system_temp: Path,
) -> Iterator[BotProcess]:
    """The bot with the real bundled embedder, `ADMIN` as its admin, files up to 1 MB and 20
    pages (5 MB unpacked), and `system_temp` as its TMPDIR."""
    with running_bot(
        sandbox_server,
        fake_openai,
        data_dir,
        EMBEDDINGS_BACKEND="local",
        ADMIN_USER_IDS=str(ADMIN),
        MAX_DOCUMENT_MB="1",
        MAX_DOCUMENT_PAGES="20",
        MAX_UNPACKED_MB="5",
        TMPDIR=str(system_temp),
        VISION="off",  # photos learned for their text, as with the local model (test_photos.py)
    ) as process:
        yield process


async def last_seq(client: SandboxClient) -> int:
    seq: int = (await client.events(after=0, timeout=0))["last_seq"]
    return seq


async def send_document(
    client: SandboxClient, chat_id: int, data: bytes, name: str, **kwargs: Any
) -> str:
    """Send a file; the bot's status message once it stops showing progress."""
    after = await last_seq(client)
    await client.send_file(chat_id, data, file_name=name, **kwargs)
    [status] = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: bool(ms) and not ms[-1]["text"].startswith(PROGRESS),
        timeout=ANSWER_TIMEOUT,
    )
    text: str = status["text"]
    return text


async def ask(client: SandboxClient, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    after = await last_seq(client)
    await client.send_text(chat_id, text, **kwargs)
    [answer] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) >= 1, timeout=ANSWER_TIMEOUT
    )
    return answer


def prompt_for(fake: FakeOpenAIServer, question: str) -> str:
    """The message the model got `question` in: the passages, then the question."""
    matching = [r for r in fake.requests if asked(str(r["messages"][-1]["content"])) == question]
    assert matching, f"the model never got {question!r}"
    return str(matching[-1]["messages"][-1]["content"])
