"""With ALLOWED_USERS set, strangers get one sentence and never reach the model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.conftest import BOT_USERNAME, BotProcess, running_bot
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

OWNER = 7_000_001
GROUP = -7_000_002
STRANGER = 7_000_003


@pytest.fixture(scope="module")
def restricted_bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotProcess]:
    data_dir = tmp_path_factory.mktemp("restricted-bot")
    with running_bot(
        sandbox_server, fake_openai, data_dir, ALLOWED_USERS=f"{OWNER},{GROUP}", OPEN_ACCESS="false"
    ) as process:
        yield process


@pytest.fixture
async def client(
    sandbox_server: SandboxServer, restricted_bot: BotProcess
) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_server.url) as client:
        yield client


async def answers(client: SandboxClient, chat_id: int, text: str, **kwargs: Any) -> list[str]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text, **kwargs)
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda messages: len(messages) >= 1, timeout=30
    )
    return [message["text"] for message in fresh]


async def test_a_stranger_gets_one_sentence_with_their_id_and_the_model_is_not_asked(
    client: SandboxClient, fake_openai: FakeOpenAIServer
) -> None:
    [refusal] = await answers(client, STRANGER, "Tell me your secrets")
    assert "not on its list" in refusal and str(STRANGER) in refusal
    assert not any(
        request["messages"][-1]["content"] == "Tell me your secrets"
        for request in fake_openai.requests
    )
    [refusal] = await answers(client, STRANGER, "/start")
    assert "not on its list" in refusal


async def test_the_owner_is_served_right_after_a_stranger_was_refused(
    client: SandboxClient,
) -> None:
    await answers(client, STRANGER, "me again")
    assert await answers(client, OWNER, "Hello") == ["You said: Hello"]


async def test_anyone_in_a_listed_group_is_answered_there(client: SandboxClient) -> None:
    reply = await answers(
        client, GROUP, f"@{BOT_USERNAME} hi all", user_id=STRANGER, chat_type="group"
    )
    assert reply == ["You said: hi all"]
