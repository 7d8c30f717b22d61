"""The message that shows an offline job's progress, against the sandbox Bot API server.

The Start message becomes the progress message once it says the job started; until then the
watcher, which may see the new job first, shows nothing for it rather than a message of its own.
"""

from __future__ import annotations

from telegram import Bot

from tests.conftest import BOT_TOKEN
from tgtrainer.bot.training import ProgressMessages
from tgtrainer.core.training import ProgressNotice
from tgtrainer.sandbox import SandboxClient, SandboxServer

CHAT = 888_030


async def test_a_held_job_shows_nothing_until_its_start_message_is_adopted_then_edits_it(
    sandbox_server: SandboxServer, client: SandboxClient
) -> None:
    await client.send_text(CHAT, "/train")
    progress = ProgressMessages()
    async with Bot(BOT_TOKEN, base_url=f"{sandbox_server.url}/bot") as bot:
        started = await bot.send_message(CHAT, "Started fine-tuning job j1.")
        progress.hold("j1")
        await progress.show(bot, ProgressNotice("j1", CHAT, "Training j1: step 1/6"))
        assert [m["text"] for m in await client.messages(CHAT)] == [
            "/train",
            "Started fine-tuning job j1.",
        ]

        progress.adopt("j1", started, "Started fine-tuning job j1.")
        await progress.show(bot, ProgressNotice("j1", CHAT, "Training j1: step 2/6"))
        assert [m["text"] for m in await client.messages(CHAT)] == [
            "/train",
            "Training j1: step 2/6",
        ]


async def test_a_job_without_a_message_gets_one_and_later_rounds_edit_it(
    sandbox_server: SandboxServer, client: SandboxClient
) -> None:
    chat = CHAT + 1
    await client.send_text(chat, "hello")
    progress = ProgressMessages()
    async with Bot(BOT_TOKEN, base_url=f"{sandbox_server.url}/bot") as bot:
        await progress.show(bot, ProgressNotice("j2", chat, "Training j2: step 3/6"))
        await progress.show(bot, ProgressNotice("j2", chat, "Training j2: step 4/6"))
    assert [m["text"] for m in await client.messages(chat)] == ["hello", "Training j2: step 4/6"]
