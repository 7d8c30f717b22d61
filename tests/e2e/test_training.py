"""Fine-tuning through the OpenAI-compatible service, end to end: the real bot as a process, the
sandbox Bot API server, the fake OpenAI server with its fine-tuning endpoints.

Rate and correct answers, /train as an admin, confirm, the job advances and succeeds, the admin
is told, /model offers the new model and the next request names it; a job that fails; a job
cancelled; a non-admin. A restart while a job runs: test_training_restart.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.e2e.test_feedback import ask, labels, press
from tgtrainer.bot.models import MODEL_CALLBACK
from tgtrainer.bot.rating_buttons import GOOD_DATA
from tgtrainer.bot.training import NO_DATA, NOT_STARTED, START_DATA
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ADMIN, FAILING_ADMIN, CANCELLING_ADMIN = 888_001, 888_002, 888_003
TIMEOUT = 30
POLL = "0.2"


BOT_SETTINGS = {
    "ADMIN_USER_IDS": f"{ADMIN},{FAILING_ADMIN},{CANCELLING_ADMIN}",
    "FINETUNE_POLL_SECONDS": POLL,
}


pytestmark = pytest.mark.usefixtures("bot")


@pytest.fixture(autouse=True)
def fine_tuning_as_usual(fake_openai: FakeOpenAIServer) -> Iterator[None]:
    yield
    fake_openai.fine_tuning.hold = False


async def seq(client: SandboxClient) -> int:
    last: int = (await client.events(after=0, timeout=0))["last_seq"]
    return last


async def teach_some(client: SandboxClient, chat_id: int) -> None:
    """One answer rated 👍, one corrected."""
    # Questions of their own: the fake model's request log is shared with test_feedback's.
    [good] = await ask(client, chat_id, "Which planet is the largest?")
    await press(client, chat_id, good["message_id"], GOOD_DATA, user_id=chat_id)
    await ask(client, chat_id, "What is the capital of Australia?")
    await ask(client, chat_id, "/correct Canberra.")


async def start_training(client: SandboxClient, chat_id: int) -> tuple[str, str]:
    """/train, then Start: (the confirmation's text, the status it ends with)."""
    [confirm] = await ask(client, chat_id, "/train")
    assert labels(confirm) == ["Start", "Cancel"]
    _, started = await press(
        client, chat_id, confirm["message_id"], START_DATA["supervised"], user_id=chat_id
    )
    deadline = time.monotonic() + TIMEOUT
    while not started["text"].startswith("Started") and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        messages = await client.messages(chat_id)
        started = next(m for m in messages if m["message_id"] == confirm["message_id"])
    assert labels(started) == []
    return confirm["text"], started["text"]


async def told(client: SandboxClient, chat_id: int, after: int, words: str) -> list[str]:
    """Wait for a message with `words`; every bot message since `after`."""
    fresh = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: any(words in m["text"] for m in ms),
        timeout=TIMEOUT,
    )
    return [m["text"] for m in fresh]


def job_id_in(text: str) -> str:
    return next(word.rstrip(":.,") for word in text.split() if word.startswith("ftjob-"))


async def test_train_confirm_succeed_told_and_chat_with_the_new_model(
    client: SandboxClient, fake_openai: FakeOpenAIServer
) -> None:
    await teach_some(client, ADMIN)
    after = await seq(client)
    confirmation, started = await start_training(client, ADMIN)
    assert "on 2 examples" in confirmation and "tokens" in confirmation
    assert "estimated cost" in confirmation and confirmation.endswith("Start?")
    job_id = job_id_in(started)
    created = fake_openai.fine_tuning.created[-1]
    assert created["model"] == "fake-small" and created["method"] == {"type": "supervised"}
    uploaded = fake_openai.fine_tuning.files[created["training_file"]]
    assert [line["messages"][-1]["content"] for line in uploaded] == [
        "You said: Which planet is the largest?",
        "Canberra.",
    ]

    texts = await told(client, ADMIN, after, "succeeded")
    [outcome] = [text for text in texts if "succeeded" in text]
    model = fake_openai.fine_tuning.jobs[job_id]["fine_tuned_model"]
    assert outcome == (
        f"Fine-tuning job {job_id} succeeded: the new model is {model}. "
        "Choose it for a chat with /model."
    )

    [status] = await ask(client, ADMIN, "/train_status")
    assert f"{job_id}: succeeded, supervised on fake-small -> {model}" in status["text"]
    assert "New fine-tuned model created" in status["text"]

    [choice] = await ask(client, ADMIN, "/model")
    assert model in labels(choice)
    _, chosen = await press(
        client, ADMIN, choice["message_id"], MODEL_CALLBACK + model, user_id=ADMIN
    )
    assert chosen["text"] == f"This chat now uses {model}."
    await ask(client, ADMIN, "Who trained you?")
    assert fake_openai.requests[-1]["model"] == model
    assert fake_openai.requests[-1]["messages"][-1]["content"] == "Who trained you?"
    # Told once.
    await asyncio.sleep(1)
    texts = [m["text"] for m in await client.messages(ADMIN)]
    assert sum("succeeded:" in text for text in texts) == 1


async def test_cancel_in_the_confirmation_starts_nothing(
    client: SandboxClient, fake_openai: FakeOpenAIServer
) -> None:
    jobs = len(fake_openai.fine_tuning.created)
    [confirm] = await ask(client, ADMIN, "/train")
    _, shown = await press(client, ADMIN, confirm["message_id"], NO_DATA, user_id=ADMIN)
    assert shown["text"] == NOT_STARTED and labels(shown) == []
    assert len(fake_openai.fine_tuning.created) == jobs


async def test_a_failing_job_is_told_to_the_admin(
    client: SandboxClient, fake_openai: FakeOpenAIServer
) -> None:
    await teach_some(client, FAILING_ADMIN)
    fake_openai.fine_tuning.fail_next_job("The training file has too few examples.")
    after = await seq(client)
    _, started = await start_training(client, FAILING_ADMIN)
    job_id = job_id_in(started)
    texts = await told(client, FAILING_ADMIN, after, "failed")
    assert f"Fine-tuning job {job_id} failed: The training file has too few examples." in texts


async def test_train_cancel_stops_a_running_job_and_the_admin_is_told(
    client: SandboxClient, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.fine_tuning.hold = True
    await teach_some(client, CANCELLING_ADMIN)
    after = await seq(client)
    _, started = await start_training(client, CANCELLING_ADMIN)
    job_id = job_id_in(started)
    await until_running(fake_openai, job_id)
    # The watcher may tell of the cancellation before the command's reply comes.
    cancelling = await seq(client)
    await client.send_text(CANCELLING_ADMIN, "/train_cancel")
    answers = await told(client, CANCELLING_ADMIN, cancelling, f"{job_id}: cancelled")
    assert f"{job_id}: cancelled" in answers  # the reply names the job and nothing else
    texts = await told(client, CANCELLING_ADMIN, after, "was cancelled")
    assert f"Fine-tuning job {job_id} was cancelled." in texts
    [again] = await ask(client, CANCELLING_ADMIN, "/train_cancel")
    assert again["text"] == "No fine-tuning job is running."


async def test_someone_not_an_admin_cannot_train(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    jobs = len(fake_openai.fine_tuning.created)
    for command in ("/train", "/train_status", "/train_cancel"):
        [refused] = await ask(client, chat_id, command)
        assert refused["text"] == "Only the bot's admins can train the model."
    assert len(fake_openai.fine_tuning.created) == jobs


async def until_running(fake: FakeOpenAIServer, job_id: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while fake.fine_tuning.jobs[job_id]["status"] != "running":
        assert time.monotonic() < deadline, fake.fine_tuning.jobs[job_id]
        await asyncio.sleep(0.05)
