"""Updates the bot rarely meets get a deliberate answer or a deliberate silence, and none stops it.

The real bot as a process against the sandbox, fed raw Bot API updates (tests/support/raw_updates).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import BOT_USERNAME, BotProcess
from tests.support import raw_updates as raw
from tgtrainer.bot.buttons import NOT_OFFERED
from tgtrainer.sandbox import SandboxClient

pytestmark = pytest.mark.usefixtures("bot")
ANSWER_TIMEOUT = 30


async def last_seq(client: SandboxClient) -> int:
    seq: int = (await client.events(after=0, timeout=0))["last_seq"]
    return seq


async def bot_texts(client: SandboxClient, chat_id: int, after: int, count: int) -> list[str]:
    """The texts of the bot's first `count` new messages in the chat since event `after`."""
    fresh = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda sent: len(sent) >= count, timeout=ANSWER_TIMEOUT
    )
    return [message["text"] for message in fresh]


async def ask(client: SandboxClient, chat_id: int, text: str, **kwargs: Any) -> list[str]:
    after = await last_seq(client)
    await client.send_text(chat_id, text, **kwargs)
    return await bot_texts(client, chat_id, after, 1)


async def test_an_update_the_library_cannot_read_is_skipped_once_and_the_rest_answered(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    after = await last_seq(client)
    poll, _ = await client.send_updates(raw.old_poll(chat_id), raw.text(chat_id, "still there?"))
    assert await bot_texts(client, chat_id, after, 1) == ["You said: still there?"]
    # Alone and last in its batch, it must not hold the offset back either.
    (lone_poll,) = await client.send_updates(raw.old_poll(chat_id))
    assert await ask(client, chat_id, "and now?") == ["You said: and now?"]
    polls = (await client.stats())["calls"]["getupdates"]
    await asyncio.sleep(1)
    assert (await client.stats())["calls"]["getupdates"] - polls <= 2  # no busy loop
    log = bot.log()
    for update in (poll, lone_poll):
        assert log.count(f"update {update['update_id']} (message) skipped") == 1, log
    assert raw.OLD_POLL["question"] not in log and "CRITICAL" not in log


async def press_answer(client: SandboxClient, after: int, query_id: str) -> str | None:
    """The text the bot answered the press `query_id` with (it must answer)."""
    while True:
        batch = await client.events(after=after, timeout=ANSWER_TIMEOUT)
        assert batch["events"], f"the press {query_id} was never answered"
        for event in batch["events"]:
            if event["type"] == "callback_answer" and event["callback_query_id"] == query_id:
                text: str | None = event["text"]
                return text
        after = batch["last_seq"]


async def test_an_anonymous_group_admin_is_answered_as_the_group(
    client: SandboxClient, bot: BotProcess
) -> None:
    group = -8_100_001
    after = await last_seq(client)
    await client.send_updates(
        raw.text(group, f"@{BOT_USERNAME} who am I?", sender={}, sender_chat=raw.chat(group))
    )
    assert await bot_texts(client, group, after, 1) == ["You said: who am I?"]


async def test_channel_posts_and_messages_from_no_one_are_left_unanswered_on_purpose(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    channel, group = -8_100_002, -8_100_003
    after = await last_seq(client)
    post, nobody = await client.send_updates(
        raw.text(
            channel,
            f"@{BOT_USERNAME} hello channel",
            sender={},
            sender_chat=raw.chat(channel, "channel"),
            chat_type="channel",
        ),
        raw.text(group, f"@{BOT_USERNAME} hello from nowhere", sender={}),
    )
    assert await ask(client, chat_id, "are you up?") == ["You said: are you up?"]
    for chat in (channel, group):
        assert not await client._sent_after(chat, after)
    log = bot.log()
    assert f"update {post['update_id']}: not answered: a post in a channel" in log
    assert f"update {nobody['update_id']}: not answered: a message with no sender" in log


async def test_an_edited_message_is_not_answered_again(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    before = await last_seq(client)
    [question] = await client.send_updates(raw.text(chat_id, "first words"))
    assert await bot_texts(client, chat_id, before, 1) == ["You said: first words"]
    after = await last_seq(client)
    edited = {**question["message"], "text": "second words", "edit_date": 1}
    [edit] = await client.send_updates({"edited_message": edited})
    assert await ask(client, chat_id, "next") == ["You said: next"]
    assert await bot_texts(client, chat_id, after, 1) == ["You said: next"]
    assert f"update {edit['update_id']}: not answered: an edit" in bot.log()


@pytest.mark.parametrize(
    "data",
    [
        None,  # a press with no data: it used to reach the forget handler
        "",
        "lang:zz",
        "lang:",
        "voice:loud",
        "voice:transcript:maybe",
        "kbforget:99999999999999999999",
        "kbforget:²",
        "model:#²",
        "model:#99",
        "model:no-such-model",
        "🙃 not a button of mine",
    ],
)
async def test_every_press_of_a_button_the_bot_never_sent_gets_a_short_answer(
    client: SandboxClient, chat_id: int, bot: BotProcess, data: str | None
) -> None:
    after = await last_seq(client)
    [asked] = await client.send_updates(raw.text(chat_id, "a message of mine"))
    await bot_texts(client, chat_id, after, 1)
    query_id = f"forged-{chat_id}"
    await client.send_updates(
        raw.press(chat_id, asked["message"]["message_id"], data, query_id=query_id, user_id=chat_id)
    )
    answer = await press_answer(client, after, query_id)
    assert answer and len(answer) < 200 and "went wrong" not in answer
    assert await ask(client, chat_id, "still fine?") == ["You said: still fine?"]
    assert "Traceback" not in bot.log()


async def test_a_press_with_no_message_and_a_press_on_a_message_not_the_bots_are_answered(
    client: SandboxClient, chat_id: int, bot: BotProcess
) -> None:
    after = await last_seq(client)
    await client.send_updates(raw.press(chat_id, None, "voice:off", query_id="q1", user_id=chat_id))
    assert await press_answer(client, after, "q1") == NOT_OFFERED
    sent = await client.send_text(chat_id, "not a menu")
    await bot_texts(client, chat_id, after, 1)
    for _ in range(2):  # the same choice twice: the menu is as it was, the press answered
        pressed = await client.press_button(
            chat_id, sent["message"]["message_id"], "voice:off", user_id=chat_id
        )
        assert await press_answer(client, after, pressed["callback_query_id"]) == (
            "Voice answers: off"
        )
    assert await ask(client, chat_id, "ok?") == ["You said: ok?"]
    assert "Traceback" not in bot.log()
