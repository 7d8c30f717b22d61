"""The real bot, as a process, over real HTTP: the sandbox Bot API server and a fake OpenAI server.

Each test talks in chats of its own, so one bot process serves the whole module.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.conftest import BOT_USERNAME, SCRIPTS, BotProcess
from tgtrainer.bot.commands import COMMANDS
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.usefixtures("bot")
ANSWER_TIMEOUT = 30


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [message["text"] for message in messages]


async def ask(
    client: SandboxClient, chat_id: int, text: str, *, count: int = 1, **kwargs: Any
) -> list[dict[str, Any]]:
    """Send `text` and return the bot's new messages once there are `count` of them."""
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, text, **kwargs)
    return await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda fresh: len(fresh) >= count, timeout=ANSWER_TIMEOUT
    )


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def user_turns(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request["messages"]]


def last_request_for(fake: FakeOpenAIServer, text: str) -> dict[str, Any]:
    matching = [r for r in fake.requests if r["messages"][-1]["content"] == text]
    assert matching, f"the model never got {text!r}"
    return matching[-1]


async def test_start_greets_and_says_what_the_bot_can_do(
    client: SandboxClient, chat_id: int
) -> None:
    [greeting] = await ask(client, chat_id, "/start")
    assert "/reset" in greeting["text"] and "/help" in greeting["text"]


async def test_help_lists_every_command_and_the_menu_is_registered(
    client: SandboxClient, chat_id: int
) -> None:
    [answer] = await ask(client, chat_id, "/help")
    for command in COMMANDS:
        assert f"/{command.name}" in answer["text"]
    registered = {c["command"] for c in await client.commands()}
    assert registered == {command.name for command in COMMANDS}


async def test_the_model_gets_the_conversation_so_far(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    [first] = await ask(client, chat_id, "My name is Ann.")
    assert first["text"] == "You said: My name is Ann."
    await ask(client, chat_id, "What is my name?")
    request = last_request_for(fake_openai, "What is my name?")
    assert user_turns(request)[1:] == [
        ("user", "My name is Ann."),
        ("assistant", "You said: My name is Ann."),
        ("user", "What is my name?"),
    ]
    assert request["messages"][0]["role"] == "system"


async def test_reset_starts_a_new_conversation(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    await ask(client, chat_id, "Remember the number 42.")
    [done] = await ask(client, chat_id, "/reset")
    assert "new conversation" in done["text"]
    await ask(client, chat_id, "Which number?")
    assert user_turns(last_request_for(fake_openai, "Which number?"))[1:] == [
        ("user", "Which number?")
    ]


async def test_two_chats_never_see_each_other(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    other = chat_id + 100_000
    await ask(client, chat_id, "Ann's secret is 1234.")
    await ask(client, other, "Hello from Bob.")
    request = last_request_for(fake_openai, "Hello from Bob.")
    assert "1234" not in str(request["messages"])


async def test_model_lists_the_backend_models_and_a_button_switches(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    [menu] = await ask(client, chat_id, "/model")
    buttons = [button for row in menu["reply_markup"]["inline_keyboard"] for button in row]
    labels = [button["text"] for button in buttons]
    assert "✓ fake-small" in labels and "fake-large" in labels
    large = next(button for button in buttons if button["text"] == "fake-large")
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.press_button(chat_id, menu["message_id"], large["callback_data"], user_id=chat_id)
    events = await client.events(after=after, timeout=ANSWER_TIMEOUT, chat_id=chat_id)
    while not any(e["type"] == "edit" for e in events["events"]):
        events = await client.events(after=after, timeout=ANSWER_TIMEOUT, chat_id=chat_id)
    edited = next(
        m for m in await client.messages(chat_id) if m["message_id"] == menu["message_id"]
    )
    assert edited["text"] == "This chat now uses fake-large."
    answers = [e for e in events["events"] if e["type"] == "callback_answer"]
    assert answers and answers[0]["text"] == "Model: fake-large"
    await ask(client, chat_id, "Which model answers?")
    assert last_request_for(fake_openai, "Which model answers?")["model"] == "fake-large"


async def test_system_sets_shows_and_resets_the_chat_prompt(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    [saved] = await ask(client, chat_id, "/system Always answer in <b>French</b> & be brief.")
    assert "Saved" in saved["text"]
    [shown] = await ask(client, chat_id, "/system")
    assert "Always answer in <b>French</b> & be brief." in shown["text"]
    await ask(client, chat_id, "Bonjour?")
    system = last_request_for(fake_openai, "Bonjour?")["messages"][0]
    assert system == {"role": "system", "content": "Always answer in <b>French</b> & be brief."}
    await ask(client, chat_id, "/system reset")
    await ask(client, chat_id, "Hello again?")
    system = last_request_for(fake_openai, "Hello again?")["messages"][0]
    assert "French" not in system["content"]


async def test_a_long_system_prompt_is_shown_in_parts_and_an_overlong_one_refused(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    """The defect: /system answered "Message is too long" for a long prompt, and a long prompt
    left the model only "[...]" of the question."""
    prompt = " ".join(f"Rule {i}: be kind." for i in range(250))[:4000]
    [saved] = await ask(client, chat_id, f"/system {prompt}")
    assert "Saved" in saved["text"]
    shown = await ask(client, chat_id, "/system", count=2)
    assert all(len(part["text"]) <= 4096 for part in shown)
    assert normalised(prompt) in normalised(" ".join(texts(shown)))
    [refused] = await ask(client, chat_id, "/system " + "x" * 4050)
    assert refused["text"] == (
        "A system prompt can be at most 4,000 characters; this one has 4,050. Nothing was "
        "changed: send a shorter one with /system <text>."
    )
    [answer] = await ask(client, chat_id, "Is my question whole?")
    assert answer["text"] == "You said: Is my question whole?"
    assert last_request_for(fake_openai, "Is my question whole?")["messages"][0]["content"] == (
        prompt
    )


async def test_a_10000_character_answer_arrives_whole_in_parts(
    client: SandboxClient, chat_id: int
) -> None:
    paragraphs = [f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 12 for i in range(30)]
    long_answer = "\n\n".join(paragraphs)
    assert len(long_answer) > 10_000
    SCRIPTS["Write me something long."] = long_answer
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(chat_id, "Write me something long.")
    parts = await client.wait_for_bot_messages(
        chat_id,
        after_seq=after,
        until=lambda ms: bool(ms) and ms[-1]["text"].endswith(paragraphs[-1].strip()),
        timeout=ANSWER_TIMEOUT,
    )
    assert len(parts) >= 3
    assert all(len(part["text"]) <= 4096 for part in parts)
    assert normalised(" ".join(texts(parts))) == normalised(long_answer)


async def test_markdown_with_special_characters_arrives_formatted(
    client: SandboxClient, chat_id: int
) -> None:
    SCRIPTS["Show me code."] = (
        "Use **bold**, _italics_ and `a < b && c > d` in snake_case_names.\n\n"
        "```python\nif x < 3 and y & 1:\n    print('<tag>')\n```\n\n"
        "* one\n* two with a [link](https://example.org/?a=1&b=2)"
    )
    [answer] = await ask(client, chat_id, "Show me code.")
    entity_types = {entity["type"] for entity in answer["entities"]}
    assert {"bold", "italic", "code", "pre", "text_link"} <= entity_types
    assert "a < b && c > d" in answer["text"]
    assert "print('<tag>')" in answer["text"]
    assert "snake_case_names" in answer["text"]


async def test_model_errors_give_one_sentence_and_the_next_message_works(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.fail_next(503, count=10)
    [apology] = await ask(client, chat_id, "Are you there?")
    assert apology["text"] == "The model is not answering right now, try again in a minute."
    fake_openai.clear_faults()
    [answer] = await ask(client, chat_id, "And now?")
    assert answer["text"] == "You said: And now?"


async def test_a_model_time_out_gives_the_same_sentence(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.hang_next(10, count=2)
    [apology] = await ask(client, chat_id, "Slow question?")
    assert apology["text"] == "The model is not answering right now, try again in a minute."
    [answer] = await ask(client, chat_id, "Fast question?")
    assert answer["text"] == "You said: Fast question?"


async def test_twenty_chats_at_once_are_all_answered(client: SandboxClient, chat_id: int) -> None:
    chats = [chat_id + 200_000 + i for i in range(20)]
    answers = await asyncio.gather(*(ask(client, chat, f"Hello from {chat}") for chat in chats))
    assert [a[0]["text"] for a in answers] == [f"You said: Hello from {chat}" for chat in chats]


async def test_in_groups_the_bot_answers_when_mentioned_or_replied_to(
    client: SandboxClient, chat_id: int
) -> None:
    group = -chat_id
    after = (await client.events(after=0, timeout=0))["last_seq"]
    await client.send_text(group, "just chatting among us", user_id=chat_id, chat_type="group")
    [answer] = await ask(
        client, group, f"@{BOT_USERNAME} hello team", user_id=chat_id, chat_type="group"
    )
    assert answer["text"] == "You said: hello team"
    bot_messages = [m for m in await client.messages(group) if m["from_bot"]]
    assert len(bot_messages) == 1, "the bot spoke without being addressed"
    assert (await client.events(after=after, timeout=0))["events"]


async def test_unknown_commands_and_non_text_get_a_clear_answer(
    client: SandboxClient, chat_id: int
) -> None:
    [answer] = await ask(client, chat_id, "/frobnicate now")
    assert "don't know /frobnicate" in answer["text"]


async def test_streaming_shows_drafts_then_one_final_message(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    SCRIPTS["Stream please."] = " ".join(f"word{i}" for i in range(40))
    fake_openai.chunk_delay = 0.05
    try:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        [answer] = await ask(client, chat_id, "Stream please.")
    finally:
        fake_openai.chunk_delay = 0.0
    events = (await client.events(after=after, timeout=0, chat_id=chat_id))["events"]
    drafts = [event for event in events if event["type"] == "draft"]
    assert len(drafts) >= 2
    assert answer["text"] == SCRIPTS["Stream please."]


async def test_streaming_in_groups_edits_one_message(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    group = -chat_id
    text = f"@{BOT_USERNAME} Stream in group."
    SCRIPTS["Stream in group."] = " ".join(f"word{i}" for i in range(40))
    fake_openai.chunk_delay = 0.05
    try:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        await client.send_text(group, text, user_id=chat_id, chat_type="group")
        messages = await client.wait_for_bot_messages(
            group,
            after_seq=after,
            until=lambda ms: bool(ms) and ms[-1]["text"] == SCRIPTS["Stream in group."],
            timeout=ANSWER_TIMEOUT,
        )
    finally:
        fake_openai.chunk_delay = 0.0
    assert len(messages) == 1
    events = (await client.events(after=after, timeout=0, chat_id=group))["events"]
    assert any(event["type"] == "edit" for event in events)


def test_the_bot_never_logs_its_token(bot: BotProcess) -> None:
    assert "sandbox-secret-token" not in bot.log()


async def test_a_reply_telegram_cannot_parse_is_resent_as_plain_text(
    client: SandboxClient, chat_id: int
) -> None:
    SCRIPTS["Format this."] = "**Bold** claim & `code`"
    await client.inject_fault(
        "sendMessage",
        error_code=400,
        description=(
            'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0'
        ),
    )
    [answer] = await ask(client, chat_id, "Format this.")
    assert answer["text"] == "Bold claim & code"
    assert answer["entities"] == []


async def test_a_429_on_the_final_message_is_waited_out(
    client: SandboxClient, chat_id: int
) -> None:
    await client.inject_fault(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    [answer] = await ask(client, chat_id, "Are you rate limited?")
    assert answer["text"] == "You said: Are you rate limited?"


async def test_a_refused_draft_falls_back_to_a_plain_reply(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    SCRIPTS["Draft refused."] = " ".join(f"token{i}" for i in range(30))
    await client.inject_fault(
        "sendMessageDraft", error_code=400, description="Bad Request: TEXTDRAFT_PEER_INVALID"
    )
    fake_openai.chunk_delay = 0.05
    try:
        [answer] = await ask(client, chat_id, "Draft refused.")
    finally:
        fake_openai.chunk_delay = 0.0
    assert answer["text"] == SCRIPTS["Draft refused."]


async def test_a_long_conversation_is_trimmed_to_the_model_context(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    huge = [f"{i} " + "word " * 818 for i in range(5)]  # Telegram's 4096-character maximum
    for text in huge:
        answer = await ask(client, chat_id, text.strip(), count=2)  # over 4096: two parts
        assert answer[0]["text"].startswith(f"You said: {text.strip()[:20]}")
    request = last_request_for(fake_openai, huge[-1].strip())
    contents = [message["content"] for message in request["messages"]]
    assert len(contents) < 1 + 2 * len(huge), "the oldest turns were not dropped"
    assert contents[-1] == huge[-1].strip()
    # The default context is 4096 tokens with 512 kept for the answer; the estimate is chars/3.
    assert sum(len(content) // 3 + 1 + 4 for content in contents) <= 4096 - 512


async def test_typing_is_shown_while_a_slow_answer_is_written(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    SCRIPTS["Take your time."] = " ".join(f"word{i}" for i in range(12))
    after = (await client.events(after=0, timeout=0))["last_seq"]
    fake_openai.chunk_delay = 0.1
    try:
        [answer] = await ask(client, chat_id, "Take your time.")
    finally:
        fake_openai.chunk_delay = 0.0
    events = (await client.events(after=after, timeout=0, chat_id=chat_id))["events"]
    kinds = [(event["type"], event.get("action")) for event in events]
    assert ("chat_action", "typing") in kinds
    final = max(i for i, event in enumerate(events) if event["type"] == "message")
    assert kinds.index(("chat_action", "typing")) < final
    assert answer["text"] == SCRIPTS["Take your time."]
