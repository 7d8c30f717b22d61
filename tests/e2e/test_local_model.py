"""The bot with the real bundled local model (llama.cpp), end to end through the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BotProcess, bot_environment
from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="module")
def local_bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotProcess]:
    data_dir = tmp_path_factory.mktemp("local-bot")
    bundled_model_path(data_dir)  # joined and verified once, before the bot starts
    env = bot_environment(sandbox_server, fake_openai, data_dir, LLM_BACKEND="local")
    for key in ("LLM_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(key)
    env.update(LLM_TIMEOUT="120", LLM_MAX_TOKENS="64")
    process = BotProcess(env, data_dir / "bot.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()


async def test_the_bundled_model_knows_the_capital_of_france(
    local_bot: BotProcess, sandbox_server: SandboxServer, chat_id: int
) -> None:
    async with SandboxClient(sandbox_server.url) as client:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        await client.send_text(chat_id, "What is the capital of France?")
        [answer] = await client.wait_for_bot_messages(
            chat_id, after_seq=after, until=lambda ms: len(ms) >= 1, timeout=180
        )
    assert "Paris" in answer["text"], local_bot.log()
