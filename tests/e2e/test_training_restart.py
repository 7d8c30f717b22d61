"""A restart of the bot while a fine-tuning job runs: polling resumes from the stored job id and
the outcome is told once. Its own bot process: two bots must not poll the sandbox at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import BotProcess, bot_environment
from tests.e2e.test_training import (
    POLL,
    job_id_in,
    seq,
    start_training,
    teach_some,
    told,
    until_running,
)
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

RESTART_ADMIN = 888_010


async def test_a_restart_while_a_job_runs_resumes_polling_and_tells_once(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    client: SandboxClient,
    tmp_path: Path,
) -> None:
    environment = bot_environment(
        sandbox_server,
        fake_openai,
        tmp_path / "data",
        ADMIN_USER_IDS=str(RESTART_ADMIN),
        FINETUNE_POLL_SECONDS=POLL,
    )
    process = BotProcess(environment, tmp_path / "bot.log")
    process.start()
    try:
        fake_openai.fine_tuning.hold = True
        await teach_some(client, RESTART_ADMIN)
        after = await seq(client)
        _, started = await start_training(client, RESTART_ADMIN)
        job_id = job_id_in(started)
        await until_running(fake_openai, job_id)
        assert await asyncio.to_thread(process.stop) == 0

        fake_openai.fine_tuning.hold = False
        await asyncio.to_thread(process.start)
        texts = await told(client, RESTART_ADMIN, after, "succeeded")
        await asyncio.sleep(1)  # a few more rounds of polling: nothing more is said
        texts = [m["text"] for m in await client.messages(RESTART_ADMIN)]
        assert sum(f"{job_id} succeeded" in text for text in texts) == 1
    finally:
        fake_openai.fine_tuning.hold = False
        if process.process is not None and process.process.poll() is None:
            assert await asyncio.to_thread(process.stop) == 0
    assert "Traceback" not in process.log()
