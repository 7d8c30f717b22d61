"""Offline fine-tuning in Telegram, end to end: the real bot with the real bundled chat model
(llama.cpp) through the sandbox; the training itself is `FakeLocalFineTuner` (FINETUNE_BACKEND),
which advances a step each time it is asked and keeps a real GGUF adapter, where the real trainer
would take minutes (tests/training/test_real_training.py trains for real).

/train as an admin: the confirmation shows examples, time and memory; Start; one message shows
the progress, edited in place; the outcome gives the held-out figures and the kept adapter;
/model offers the base and the adapter; the chat picks it and the next answer's record names
it; an admin makes it everyone's default and rolls back to the base with one button.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import BotProcess, bot_environment
from tests.e2e.test_feedback import ask, labels, press
from tests.support.training_data import rated_answers
from tgtrainer.bot.models import DEFAULT_CALLBACK, MODEL_CALLBACK, ROLLED_BACK
from tgtrainer.bot.training import START_DATA
from tgtrainer.llm.weights import BUNDLED_MODEL_NAME, bundled_model_path
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.local_model

ADMIN = 888_020
TIMEOUT = 120
FAKE = "tgtrainer.testing.fake_local_finetune:FakeLocalFineTuner"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("local-training")
    bundled_model_path(folder)  # joined and verified once, before the bot starts
    rated_answers(
        folder / "tgtrainer.sqlite3",
        [
            ("What is the door code of room 4?", "4711.", 1, None),
            ("Who runs the canteen?", "Bob.", -1, "Alice runs the canteen."),
        ],
        chat_id=ADMIN,
    )
    return folder


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer, fake_openai: FakeOpenAIServer, data_dir: Path
) -> Iterator[BotProcess]:
    env = bot_environment(
        sandbox_server,
        fake_openai,
        data_dir,
        LLM_BACKEND="local",
        FINETUNE_BACKEND=FAKE,
        ADMIN_USER_IDS=str(ADMIN),
        TRAIN_PROGRESS_SECONDS="0.3",
    )
    for key in ("LLM_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(key)
    env.update(LLM_TIMEOUT="120", LLM_MAX_TOKENS="16", ANSWER_TIMEOUT="120")
    process = BotProcess(env, data_dir / "bot.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()


async def test_train_offline_progress_outcome_and_the_adapter_in_model(
    bot: BotProcess, client: SandboxClient, data_dir: Path
) -> None:
    [confirm] = await ask(client, ADMIN, "/train")
    text = confirm["text"]
    assert text.startswith(f"Train a LoRA adapter for {BUNDLED_MODEL_NAME} on this machine on 2 ")
    assert "minutes and about 4.8 GB of memory" in text and text.endswith("Start?")
    assert "• Who runs the canteen? → Alice runs the canteen." in text
    assert labels(confirm) == ["Start", "Cancel"]
    await press(client, ADMIN, confirm["message_id"], START_DATA["supervised"], user_id=ADMIN)

    # One message, edited in place: the Start message shows the progress, then the outcome.
    seen: set[str] = set()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        messages = await client.messages(ADMIN)
        shown = next(m for m in messages if m["message_id"] == confirm["message_id"])
        seen.add(shown["text"])
        if any("finished: Kept adapter" in m["text"] for m in messages):
            break
        await asyncio.sleep(0.1)
    progress = [line for line in seen if line.startswith("Training local-fake1: training, step")]
    assert progress, seen
    assert any("loss" in line and "left" in line for line in progress)
    messages = await client.messages(ADMIN)
    [outcome] = [m["text"] for m in messages if "finished:" in m["text"]]
    assert outcome == (
        "Fine-tuning job local-fake1 finished: Kept adapter fake-local-fake1: held-out loss "
        "2.000 -> 1.500. Choose it with /model."
    )
    after_start = [m for m in messages if m["message_id"] > confirm["message_id"]]
    assert [m["text"] for m in after_start if m.get("from", {}).get("is_bot")] == [outcome]

    adapter = "fake-local-fake1"
    [choice] = await ask(client, ADMIN, "/model")
    assert labels(choice)[:1] == [f"✓ {BUNDLED_MODEL_NAME}"] and adapter in labels(choice)
    _, chosen = await press(
        client, ADMIN, choice["message_id"], MODEL_CALLBACK + adapter, user_id=ADMIN
    )
    assert chosen["text"] == f"This chat now uses {adapter}."
    # the real model loads the adapter, then answers: minutes on a slow machine are possible
    [answer] = await ask(client, ADMIN, "What is the capital of France?", timeout=TIMEOUT)
    assert answer["text"], bot.log()
    assert await logged_model(data_dir, answer["message_id"]) == (BUNDLED_MODEL_NAME, adapter)
    assert f"with adapter {adapter}" in bot.log()

    [admin_view] = await ask(client, ADMIN, "/model")
    assert f"everyone's default is {BUNDLED_MODEL_NAME}" in admin_view["text"]
    assert f"Make {adapter} everyone's default" in labels(admin_view)
    _, made = await press(
        client, ADMIN, admin_view["message_id"], DEFAULT_CALLBACK + adapter, user_id=ADMIN
    )
    assert made["text"] == f"{adapter} is now everyone's default model."
    [again] = await ask(client, ADMIN, "/model")
    assert f"everyone's default is {adapter}" in again["text"]
    assert "Roll back everyone to the base model" in labels(again)
    _, rolled = await press(client, ADMIN, again["message_id"], DEFAULT_CALLBACK, user_id=ADMIN)
    assert rolled["text"] == ROLLED_BACK
    assert "Traceback" not in bot.log()


async def logged_model(data_dir: Path, button_message_id: int) -> tuple[str, str | None]:
    """The model and adapter the answer log names for the answer shown by `button_message_id`.

    The bot records an answer once its message is shown, so the record may trail the message.
    """
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(data_dir / "tgtrainer.sqlite3")) as database:
            row = database.execute(
                "SELECT model, adapter FROM answer_log WHERE button_message_id = ?",
                (button_message_id,),
            ).fetchone()
        if row is not None:
            return row[0], row[1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no answer log for message {button_message_id}")
