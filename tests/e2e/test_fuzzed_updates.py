"""Property: whatever updates arrive, the running bot answers each message that deserves an answer
exactly once, keeps silent where it means to, answers every button press, and never fails.

Hypothesis draws updates (odd Unicode, empty and 100 KB texts, stickers, locations, polls old and
new, contacts, dice, edits, channel posts, messages with no sender, replies to deleted messages,
commands with junk arguments, button data the bot never sent) and feeds them through the sandbox
to the bot process; after each one a plain message in the same chat must be answered, which also
marks where the answer to the drawn update ends (a chat's updates are handled in order).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BOT_USERNAME, BotProcess
from tests.support import raw_updates as raw
from tgtrainer.bot.boundary import INTERNAL_ERROR
from tgtrainer.sandbox import SandboxClient, SandboxServer

Expect = Literal["one", "some", "none", "press"]
"""Exactly one message; one or more (an answer split in parts); none; a press answered."""
_private_ids = itertools.count(9_100_000)
_group_ids = itertools.count(-9_100_000, -1)
_query_ids = itertools.count(1)
FAILED = re.compile(r"update \d+ failed")
ODD_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=300)
STICKER = {
    "file_id": "sticker-1",
    "file_unique_id": "s1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}
NEW_POLL = {  # as Bot API 10 sends it
    **raw.OLD_POLL,
    "options": [
        {**option, "persistent_id": str(number)}
        for number, option in enumerate(raw.OLD_POLL["options"])
    ],
    "allows_revoting": False,
    "members_only": False,
}
NOT_TEXT_KINDS: list[dict[str, Any]] = [
    {"sticker": STICKER},
    {"location": {"latitude": 52.52, "longitude": 13.40}},
    {"contact": {"phone_number": "+10000000000", "first_name": "Bob"}},
    {"dice": {"emoji": "🎲", "value": 3}},
    {"poll": NEW_POLL},
    {"text": ""},
]
COMMANDS = [
    "start", "help", "reset", "model", "system", "language", "voice", "teach", "teach_global",
    "docs", "forget", "forget_all", "sources", "no_such_command",
]  # fmt: skip


KINDS = [
    "text", "long", "command", "not_text", "old_poll", "edit", "channel_post", "channel_message",
    "no_sender", "anonymous_admin", "deleted_reply", "group_unaddressed", "group_addressed",
    "press",
]  # fmt: skip


@dataclass(frozen=True)
class Fuzzed:
    """One drawn update: typed (`typed`) or raw (`update`), in a private chat or a group."""

    expect: Expect
    group: bool = False
    typed: str | None = None
    update: dict[str, Any] | None = None
    edit_of: str | None = None  # an edit: this text is sent first, then edited


@st.composite
def fuzzed_updates(draw: st.DrawFn) -> Fuzzed:
    kind = draw(st.sampled_from(KINDS))
    text = draw(ODD_TEXT)
    visible = text if text.strip() else f"{text}x"
    if kind == "text":
        return Fuzzed("one", typed=visible)
    if kind == "long":
        return Fuzzed("some", typed=(visible * (100_000 // len(visible) + 1))[:100_000])
    if kind == "command":
        return Fuzzed("one", typed=f"/{draw(st.sampled_from(COMMANDS))} {visible}")
    if kind == "not_text":
        return Fuzzed("one", update={"message": draw(st.sampled_from(NOT_TEXT_KINDS))})
    if kind == "old_poll":
        return Fuzzed("none", update={"message": {"poll": raw.OLD_POLL}})
    if kind == "edit":
        return Fuzzed("none", edit_of=visible)
    if kind == "channel_post":
        return Fuzzed("none", group=True, update={"channel_post": {"text": text}})
    if kind == "channel_message":
        return Fuzzed("none", group=True, update={"message": {"text": text}, "channel": True})
    if kind == "no_sender":
        return Fuzzed("none", group=True, update={"message": {"text": f"@{BOT_USERNAME} {text}"}})
    if kind == "anonymous_admin":
        message = {"text": f"@{BOT_USERNAME} {visible}", "anonymous": True}
        return Fuzzed("one", group=True, update={"message": message})
    if kind == "deleted_reply":
        return Fuzzed("one", update={"message": {"text": visible, "reply_to_deleted": True}})
    if kind == "group_unaddressed":
        return Fuzzed("none", group=True, typed="x " + visible.replace("@", ""))
    if kind == "group_addressed":
        return Fuzzed("one", group=True, typed=f"@{BOT_USERNAME} {visible}")
    data = draw(
        st.one_of(st.none(), st.text(max_size=64), st.sampled_from(["lang:zz", "model:#9"]))
    )
    return Fuzzed("press", update={"press": data})


def _raw_update(fuzzed: Fuzzed, chat_id: int, bot_message_id: int) -> dict[str, Any]:
    """The drawn raw update, in chat `chat_id`."""
    assert fuzzed.update is not None
    if "press" in fuzzed.update:
        query_id = f"fuzz-{next(_query_ids)}"
        return raw.press(
            chat_id, bot_message_id, fuzzed.update["press"], query_id=query_id, user_id=7
        )
    if "channel_post" in fuzzed.update:
        post = {**fuzzed.update["channel_post"], "chat": raw.chat(chat_id, "channel")}
        return {"channel_post": {**post, "sender_chat": post["chat"]}}
    content = dict(fuzzed.update["message"])
    if content.pop("channel", False):
        channel = raw.chat(chat_id, "channel")
        return raw.message(chat_id, sender={}, chat_type="channel", sender_chat=channel, **content)
    if content.pop("anonymous", False):
        return raw.message(chat_id, sender={}, sender_chat=raw.chat(chat_id), **content)
    if content.pop("reply_to_deleted", False):
        deleted = {"message_id": 10**9, "date": 0, "chat": raw.chat(chat_id), "text": "gone"}
        return raw.message(chat_id, reply_to_message=deleted, **content)
    sender = {} if fuzzed.group else None
    return raw.message(chat_id, sender=sender, **content)


async def _one(client: SandboxClient, fuzzed: Fuzzed) -> None:
    chat_id = next(_group_ids) if fuzzed.group else next(_private_ids)
    user = {"user_id": 7, "chat_type": "group"} if fuzzed.group else {}
    mention = f"@{BOT_USERNAME} " if fuzzed.group else ""
    # A first exchange gives the chat a bot message to press buttons on.
    opening = await client.send_text(chat_id, f"{mention}hello", **user)
    await client.wait_for_bot_messages(chat_id, after_seq=0, until=bool, timeout=60)
    [bot_message] = [m for m in await client.messages(chat_id) if m["from_bot"]][-1:]
    after = (await client.events(after=0, timeout=0))["last_seq"]
    query_id = None
    if fuzzed.typed is not None:
        await client.send_text(chat_id, fuzzed.typed, **user)
    elif fuzzed.edit_of is not None:
        [edited] = raw.text(chat_id, fuzzed.edit_of).values()
        edited.update(message_id=opening["message"]["message_id"], date=0, edit_date=1)
        await client.send_updates({"edited_message": edited})
    else:
        update = _raw_update(fuzzed, chat_id, bot_message["message_id"])
        query_id = update.get("callback_query", {}).get("id")
        await client.send_updates(update)
    ping = f"ping {chat_id}"
    await client.send_text(chat_id, f"{mention}{ping}", **user)
    fresh = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda sent: any(m["text"].endswith(f"You said: {ping}") for m in sent),
        timeout=90,
    )
    answer = [m["text"] for m in fresh if not m["text"].endswith(f"You said: {ping}")]
    assert not any(INTERNAL_ERROR in text for text in answer), answer
    expected = {"one": 1, "none": 0, "press": 0}.get(fuzzed.expect)
    if expected is None:
        assert answer, fuzzed
    else:
        assert len(answer) == expected, (fuzzed, answer)
    if query_id is not None:
        events = (await client.events(after=after, timeout=0, chat_id=chat_id))["events"]
        assert any(e.get("callback_query_id") == query_id for e in events), fuzzed


async def _feed(url: str, fuzzed: Fuzzed) -> None:
    async with SandboxClient(url) as client:
        await _one(client, fuzzed)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(fuzzed=fuzzed_updates())
def test_the_running_bot_answers_what_deserves_an_answer_exactly_once(
    sandbox_server: SandboxServer, bot: BotProcess, fuzzed: Fuzzed
) -> None:
    asyncio.run(_feed(sandbox_server.url, fuzzed))
    assert bot.process is not None and bot.process.poll() is None, bot.log()
    log = bot.log()
    assert "Traceback" not in log and not FAILED.search(log), log[-5000:]
