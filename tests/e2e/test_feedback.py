"""Feedback end to end: the real bot as a process, the sandbox Bot API server, the fake OpenAI
server; then `tgtrainer dataset` on the bot's database.

Rate, change a rating, take it back, correct by reply (to the bot's question and to the answer)
and by /correct; build the datasets and check them line by line against the exact requests the
model got; export the log. A press from someone else than the chat's owner is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BOT_USERNAME, SCRIPTS, BotProcess
from tgtrainer.bot.feedback import ASK_BETTER, THANKS
from tgtrainer.bot.rating_buttons import BAD_DATA, GOOD_DATA
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.usefixtures("bot")
TIMEOUT = 30
EDIT_WAIT = 10  # seconds a press waits for the message's edit


async def ask(
    client: SandboxClient,
    chat_id: int,
    text: str,
    *,
    count: int = 1,
    timeout: float = TIMEOUT,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text, **kwargs)
    return await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= count, timeout=timeout
    )


def labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


async def press(
    client: SandboxClient, chat_id: int, message_id: int, data: str, *, user_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Press a button; (the callback's answer, the message as it stands after)."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    pressed = await client.press_button(chat_id, message_id, data, user_id=user_id)
    seq = after
    while True:
        batch = await client.events(after=seq, timeout=TIMEOUT, chat_id=chat_id)
        seq = batch["last_seq"]
        answers = [
            e
            for e in batch["events"]
            if e["type"] == "callback_answer"
            and e["callback_query_id"] == pressed["callback_query_id"]
        ]
        if answers:
            break
    # The bot answers the press, then edits the message: wait for that edit, unless the answer
    # was an alert (a refusal edits nothing).
    edited = any(_edits(event, message_id) for event in batch["events"])
    deadline = time.monotonic() + EDIT_WAIT
    while not (edited or answers[0].get("show_alert")) and time.monotonic() < deadline:
        batch = await client.events(after=seq, timeout=0.5, chat_id=chat_id)
        seq = batch["last_seq"]
        edited = any(_edits(event, message_id) for event in batch["events"])
    message = next(m for m in await client.messages(chat_id) if m["message_id"] == message_id)
    return answers[0], message


def _edits(event: dict[str, Any], message_id: int) -> bool:
    return event["type"] == "edit" and event["message"]["message_id"] == message_id


def request_for(fake: FakeOpenAIServer, text: str) -> list[dict[str, Any]]:
    matching = [r for r in fake.requests if r["messages"][-1]["content"] == text]
    assert len(matching) == 1, f"the model got {text!r} {len(matching)} times"
    messages: list[dict[str, Any]] = matching[0]["messages"]
    return messages


def dataset_command(bot: BotProcess, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tgtrainer", "dataset", *arguments],
        env=bot.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_rate_correct_and_train_on_it(
    client: SandboxClient,
    chat_id: int,
    fake_openai: FakeOpenAIServer,
    bot: BotProcess,
    tmp_path: Path,
) -> None:
    # 1. An answer carries 👍 / 👎; 👍 marks it, 👎 changes it and asks once for better.
    [first] = await ask(client, chat_id, "Capital of Australia?")
    assert labels(first) == ["👍", "👎"]
    answered, shown = await press(client, chat_id, first["message_id"], GOOD_DATA, user_id=chat_id)
    assert "good answer" in answered["text"]
    assert labels(shown) == ["👍 ✓", "👎"]
    after = (await client.events(after=0, timeout=0))["last_seq"]
    _, shown = await press(client, chat_id, first["message_id"], BAD_DATA, user_id=chat_id)
    assert labels(shown) == ["👍", "👎 ✓"]
    [question] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= 1, timeout=TIMEOUT
    )
    assert question["text"] == ASK_BETTER

    # 2. The reply to that question is the correction, not a question for the model.
    [thanks] = await ask(
        client, chat_id, "Canberra is the capital of Australia.", reply_to=question["message_id"]
    )
    assert thanks["text"] == THANKS
    assert not [r for r in fake_openai.requests if "Canberra" in str(r["messages"])]

    # 3. Pressing the current rating again takes it back; a 👎 asks no second time.
    [second] = await ask(client, chat_id, "Largest planet?")
    _, shown = await press(client, chat_id, second["message_id"], BAD_DATA, user_id=chat_id)
    _, shown = await press(client, chat_id, second["message_id"], BAD_DATA, user_id=chat_id)
    assert labels(shown) == ["👍", "👎"]
    _, shown = await press(client, chat_id, second["message_id"], BAD_DATA, user_id=chat_id)
    asked = [m for m in await client.messages(chat_id) if m["text"] == ASK_BETTER]
    assert len(asked) == 2  # one for each answer
    # ... and a reply to a 👎 answer itself corrects it too.
    [thanks] = await ask(
        client, chat_id, "Jupiter is the largest planet.", reply_to=second["message_id"]
    )
    assert thanks["text"] == THANKS

    # 4. /correct corrects the last answer; its buttons then show 👎.
    [third] = await ask(client, chat_id, "Boiling point of water?")
    [thanks] = await ask(client, chat_id, "/correct 100 °C at sea level.")
    assert thanks["text"] == THANKS
    third_now = next(
        m for m in await client.messages(chat_id) if m["message_id"] == third["message_id"]
    )
    assert labels(third_now) == ["👍", "👎 ✓"]

    # 5. Rated good, and not rated at all.
    [fourth] = await ask(client, chat_id, "Mail me at ann@example.org?")
    await press(client, chat_id, fourth["message_id"], GOOD_DATA, user_id=chat_id)
    await ask(client, chat_id, "Unrated question?")

    # 6. The dataset: the exact prompts the model got, corrections in place of answers.
    train, pairs = tmp_path / "train.jsonl", tmp_path / "pairs.jsonl"
    printed = dataset_command(
        bot,
        "build",
        "-o",
        str(train),
        "--preference",
        str(pairs),
        "--chat",
        str(chat_id),
        "--price-per-million",
        "3",
    )
    assert "training examples: 4" in printed and "preference pairs: 3" in printed
    assert "estimated cost of one epoch" in printed
    expected = [
        ("Capital of Australia?", "Canberra is the capital of Australia."),
        ("Largest planet?", "Jupiter is the largest planet."),
        ("Boiling point of water?", "100 °C at sea level."),
        ("Mail me at ann@example.org?", "You said: Mail me at ann@example.org?"),
    ]
    lines = read_jsonl(train)
    assert len(lines) == len(expected)
    for line, (asked_text, best) in zip(lines, expected, strict=True):
        assert line == {
            "messages": [
                *request_for(fake_openai, asked_text),
                {"role": "assistant", "content": best},
            ]
        }
    preference = read_jsonl(pairs)
    assert [p["preferred_output"] for p in preference] == [
        [{"role": "assistant", "content": best}] for _, best in expected[:3]
    ]
    assert preference[0] == {
        "input": {"messages": request_for(fake_openai, "Capital of Australia?")},
        "preferred_output": [
            {"role": "assistant", "content": "Canberra is the capital of Australia."}
        ],
        "non_preferred_output": [
            {"role": "assistant", "content": "You said: Capital of Australia?"}
        ],
    }

    # --all adds the unrated answer; --redact hides the address.
    everything = tmp_path / "all.jsonl"
    dataset_command(
        bot, "build", "-o", str(everything), "--chat", str(chat_id), "--all", "--redact"
    )
    contents = [line["messages"][-1]["content"] for line in read_jsonl(everything)]
    assert "You said: Unrated question?" in contents
    assert "ann@example.org" not in everything.read_text()

    # 7. The log: every turn with its rating and correction.
    exported = json.loads(
        dataset_command(bot, "export", "--format", "json", "--chat", str(chat_id))
    )
    [chat] = exported["chats"]
    turns = {turn["question"]: turn for turn in chat["turns"]}
    assert turns["Capital of Australia?"]["rating"] == "bad"
    assert turns["Capital of Australia?"]["correction"] == "Canberra is the capital of Australia."
    assert turns["Mail me at ann@example.org?"]["rating"] == "good"
    assert turns["Unrated question?"]["rating"] is None
    assert turns["Capital of Australia?"]["model"] == "fake-small"
    assert turns["Capital of Australia?"]["prompt"] == request_for(
        fake_openai, "Capital of Australia?"
    )


async def test_someone_else_cannot_rate_a_private_answer(
    client: SandboxClient, chat_id: int
) -> None:
    [answer] = await ask(client, chat_id, "Private answer?")
    intruder = chat_id + 500_000
    refused, shown = await press(client, chat_id, answer["message_id"], GOOD_DATA, user_id=intruder)
    assert refused["show_alert"] and "your own chat" in refused["text"]
    assert labels(shown) == ["👍", "👎"]
    # A forged /correct in someone else's chat is refused the same way.
    [told] = await ask(client, chat_id, "/correct Forged.", user_id=intruder)
    assert "your own chat" in told["text"]


async def test_a_split_answer_carries_the_buttons_on_its_last_part(
    client: SandboxClient, chat_id: int
) -> None:
    paragraphs = [f"Part {i}: " + "lorem ipsum dolor sit amet " * 12 for i in range(20)]
    SCRIPTS["A long one, please."] = "\n\n".join(paragraphs)
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "A long one, please.")
    parts = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: bool(ms) and paragraphs[-1].strip() in ms[-1]["text"],
        timeout=TIMEOUT,
    )
    assert len(parts) >= 2
    assert [labels(part) for part in parts] == [[]] * (len(parts) - 1) + [["👍", "👎"]]


async def test_in_groups_there_are_no_buttons_unless_group_feedback_is_on(
    client: SandboxClient, chat_id: int
) -> None:
    group = -(chat_id + 700_000)
    [answer] = await ask(
        client, group, f"@{BOT_USERNAME} hello group", user_id=chat_id, chat_type="group"
    )
    assert answer["text"] == "You said: hello group"
    assert labels(answer) == []
