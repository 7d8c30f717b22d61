"""The web chat shows what the Bot API was asked to show, as Telegram would: the test plays the bot.

A sandbox server in this process, the page in Debian's chromium, and Bot API calls made by the
test itself, so that every kind of thing a bot can do (HTML, drafts, edits, deletions, reactions,
buttons, voice notes, documents, chat actions, commands) is checked in the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.browser import chromium
from tgtrainer.sandbox import SandboxServer
from tgtrainer.sandbox.media import to_voice_note
from tgtrainer.testing.media import png, tone_wav

TOKEN = "98765:rendering-test-token"
ALICE = {"id": 1001, "first_name": "Alice", "username": "alice_sandbox"}
CHAT = ALICE["id"]


class FakeBot:
    """Bot API calls, made as the bot would make them."""

    def __init__(self, server: SandboxServer) -> None:
        self.http = httpx.Client(base_url=f"{server.url}/bot{TOKEN}", timeout=10)
        self.offset = 0

    def call(self, method: str, **params: Any) -> Any:
        body = self.http.post(f"/{method}", json=params).json()
        assert body["ok"], body
        return body["result"]

    def upload(self, method: str, field: str, name: str, data: bytes, mime: str) -> Any:
        response = self.http.post(
            f"/{method}", data={"chat_id": str(CHAT)}, files={field: (name, data, mime)}
        )
        assert response.json()["ok"], response.text
        return response.json()["result"]

    def updates(self) -> list[dict[str, Any]]:
        updates: list[dict[str, Any]] = self.call("getUpdates", offset=self.offset, timeout=5)
        if updates:
            self.offset = updates[-1]["update_id"] + 1
        return updates


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0, tokens=[TOKEN])
    with server.serve_in_thread():
        yield server


@pytest.fixture
def bot(server: SandboxServer) -> Iterator[FakeBot]:
    bot = FakeBot(server)
    bot.call(
        "setMyCommands",
        commands=[
            {"command": "start", "description": "What this bot can do"},
            {"command": "weather", "description": "Today's weather"},
        ],
    )
    httpx.post(
        f"{server.url}/sandbox/api/messages",
        json={"chat_id": CHAT, "text": "hello bot", "user": ALICE},
        timeout=10,
    ).raise_for_status()
    bot.updates()
    yield bot
    bot.http.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """One browser for the module: each test's server has its own port, so its own storage."""
    with chromium() as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext, server: SandboxServer, bot: FakeBot) -> Iterator[Page]:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator(".msg.out .text", has_text="hello bot")).to_be_visible()
    yield page
    page.close()
    assert errors == [], errors


HELLO_ID = 1  # Alice's "hello bot", the chat's first message


def last_bot_text(page: Page) -> Any:
    return page.locator(".msg[data-from-bot] .text").last


def test_the_bots_html_is_shown_with_only_telegrams_tags(page: Page, bot: FakeBot) -> None:
    bot.call(
        "sendMessage",
        chat_id=CHAT,
        parse_mode="HTML",
        text=(
            "<b>bold</b> <i>it</i> <u>under</u> <s>gone</s> <tg-spoiler>secret</tg-spoiler> "
            '<a href="https://example.org/">a link</a> <a href="javascript:alert(1)">no link</a>\n'
            '<pre><code class="language-python">print("hi")</code></pre>\n'
            "<blockquote>quoted</blockquote>\n<code>x &lt; 1</code>"
        ),
    )
    text = last_bot_text(page)
    expect(text.locator("b")).to_have_text("bold")
    expect(text.locator("i")).to_have_text("it")
    expect(text.locator("u")).to_have_text("under")
    expect(text.locator("s")).to_have_text("gone")
    expect(text.locator("a[href='https://example.org/']")).to_have_text("a link")
    expect(text.locator("a")).to_have_count(1)  # javascript: is not a link
    expect(text).to_contain_text("no link")
    expect(text.locator("pre")).to_have_attribute("data-lang", "python")
    expect(text.locator("pre code")).to_have_text('print("hi")')
    expect(text.locator("blockquote")).to_have_text("quoted")
    expect(text.locator(":scope > code")).to_have_text("x < 1")
    spoiler = text.locator(".spoiler")
    expect(spoiler).not_to_have_class("spoiler shown")
    spoiler.click()
    expect(spoiler).to_have_class("spoiler shown")


def test_drafts_grow_then_give_way_to_the_message(page: Page, bot: FakeBot) -> None:
    bot.call("sendChatAction", chat_id=CHAT, action="typing")
    expect(page.locator("#chat-subtitle")).to_have_text("typing…")
    for text in ("The answer", "The answer is <b>forty</b>"):
        bot.call("sendMessageDraft", chat_id=CHAT, draft_id=3, text=text, parse_mode="HTML")
        expect(page.locator(".bubble.draft .text")).to_have_text(
            text.replace("<b>", "").replace("</b>", "")
        )
    expect(page.locator(".bubble.draft")).to_have_count(1)
    bot.call("sendMessage", chat_id=CHAT, text="The answer is forty-two.")
    expect(last_bot_text(page)).to_contain_text("The answer is forty-two.")
    expect(page.locator(".bubble.draft")).to_have_count(0)


def test_edits_deletions_reactions_and_long_replies(page: Page, bot: FakeBot) -> None:
    first = bot.call("sendMessage", chat_id=CHAT, text="Reading page 1/3…")
    bot.call("sendMessage", chat_id=CHAT, text="Part two of a long answer.")
    expect(page.locator(".msg[data-from-bot]")).to_have_count(2)
    bot.call(
        "editMessageText", chat_id=CHAT, message_id=first["message_id"], text="Reading page 3/3…"
    )
    row = page.locator(f".msg[data-id='{first['message_id']}']")
    expect(row.locator(".text")).to_contain_text("Reading page 3/3…")
    expect(row.locator(".meta")).to_contain_text("edited")
    bot.call("deleteMessage", chat_id=CHAT, message_id=first["message_id"])
    expect(row).to_have_count(0)
    bot.call(
        "setMessageReaction",
        chat_id=CHAT,
        message_id=HELLO_ID,
        reaction=[{"type": "emoji", "emoji": "👍"}],
    )
    expect(page.locator(".msg.out .reaction")).to_have_text("👍")


def test_inline_buttons_send_callback_queries_and_show_the_answer(page: Page, bot: FakeBot) -> None:
    keyboard = {
        "inline_keyboard": [
            [
                {"text": "Yes", "callback_data": "vote:yes"},
                {"text": "No", "callback_data": "vote:no"},
            ],
            [{"text": "Docs", "url": "https://example.org/docs"}],
        ]
    }
    message = bot.call("sendMessage", chat_id=CHAT, text="Do you agree?", reply_markup=keyboard)
    expect(page.locator(".keyboard button")).to_have_count(3)
    page.locator(".keyboard button", has_text="No").click()
    [update] = bot.updates()
    query = update["callback_query"]
    assert (query["data"], query["from"]["id"]) == ("vote:no", CHAT)
    assert query["message"]["message_id"] == message["message_id"]
    bot.call("answerCallbackQuery", callback_query_id=query["id"], text="Noted: no")
    expect(page.locator("#toast")).to_have_text("Noted: no")


def test_a_voice_reply_plays_in_the_chat_and_a_document_downloads(
    page: Page, bot: FakeBot, server: SandboxServer
) -> None:
    note = to_voice_note(tone_wav(seconds=2.0))
    bot.upload("sendVoice", "voice", "answer.ogg", note.data, "audio/ogg")
    player = page.locator(".msg[data-from-bot] .bubble[data-kind='voice'] audio")
    expect(player).to_be_visible()
    seconds = player.evaluate(
        "async (a) => { if (a.readyState < 1) await new Promise(r => a.onloadedmetadata = r);"
        " return a.duration; }"
    )
    assert seconds == pytest.approx(note.seconds, abs=0.1)

    bot.upload("sendDocument", "document", "report.csv", b"a,b\n1,2\n", "text/csv")
    link = page.locator(".msg[data-from-bot] a.file")
    expect(link.locator(".file-name")).to_have_text("report.csv")
    expect(link).to_have_attribute("download", "report.csv")
    href = link.get_attribute("href")
    assert href is not None
    assert httpx.get(f"{server.url}{href}", timeout=10).content == b"a,b\n1,2\n"


def test_the_command_menu_lists_what_the_bot_registered(page: Page, bot: FakeBot) -> None:
    page.locator("#input").type("/")
    expect(page.locator("#popup .cmd")).to_have_text(["/start", "/weather"])
    page.locator("#input").type("we")
    expect(page.locator("#popup .cmd")).to_have_text(["/weather"])
    expect(page.locator("#popup .desc")).to_have_text(["Today's weather"])
    page.locator("#input").press("Backspace")
    page.locator("#input").press("Backspace")
    page.locator("#input").press("ArrowDown")
    page.locator("#input").press("Enter")
    expect(page.locator(".msg.out .text", has_text="/weather")).to_be_visible()
    expect(page.locator("#input")).to_have_value("")
    expect(page.locator("#popup")).to_be_hidden()
    [update] = bot.updates()
    message = update["message"]
    assert message["text"] == "/weather"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]


def test_a_message_of_another_person_in_the_group_is_theirs_and_counted_unread(
    page: Page, bot: FakeBot, server: SandboxServer
) -> None:
    httpx.post(
        f"{server.url}/sandbox/api/messages",
        json={
            "chat_id": -1001,
            "chat_title": "Sandbox group",
            "text": "Hi all",
            "user_id": 1002,
            "first_name": "Bob",
        },
        timeout=10,
    ).raise_for_status()
    group = page.locator("#chat-list li[data-chat='-1001']")
    expect(group.locator(".badge")).to_have_text("1")  # seen from Alice's private chat
    expect(page).to_have_title("(1) tgtrainer sandbox")
    group.click()
    expect(group.locator(".badge")).to_have_count(0)
    expect(page).to_have_title("tgtrainer sandbox")
    bob = page.locator(".msg.in", has_text="Hi all")
    expect(bob.locator(".sender")).to_have_text("Bob")
    page.locator("#input").fill("@tgtrainer_bot hello")
    page.locator("#input").press("Enter")
    expect(page.locator(".msg.out .text", has_text="hello")).to_be_visible()
    bobs, alices = bot.updates()
    assert (bobs["message"]["from"]["id"], alices["message"]["from"]["id"]) == (1002, 1001)
    update = alices
    assert update["message"]["chat"] == {"id": -1001, "type": "group", "title": "Sandbox group"}
    assert update["message"]["entities"][0]["type"] == "mention"


def test_commands_and_mentions_in_typed_text_are_marked_and_a_command_can_be_pressed(
    page: Page, bot: FakeBot
) -> None:
    page.locator("#input").fill("see /weather and ask @bob_sandbox on https://example.org/x")
    page.locator("#input").press("Enter")
    typed = page.locator(".msg.out .text").last
    expect(typed.locator(".command")).to_have_text("/weather")
    expect(typed.locator(".mention")).to_have_text("@bob_sandbox")
    expect(typed.locator("a")).to_have_attribute("href", "https://example.org/x")
    typed.locator(".command").click()
    expect(page.locator(".msg.out .text").last).to_have_text(re.compile(r"^/weather"))
    assert [u["message"]["text"] for u in bot.updates()][-1] == "/weather"


def test_a_dropped_picture_is_sent_as_a_photo(page: Page, bot: FakeBot) -> None:
    page.evaluate(
        """async (bytes) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], "cat.png", {type: "image/png"}));
            const chat = document.getElementById("chat");
            for (const type of ["dragenter", "dragover", "drop"]) {
                chat.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true}));
            }
        }""",
        list(png(40, 30)),
    )
    picture = page.locator(".msg.out img.photo")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 40
    [update] = bot.updates()
    assert [(p["width"], p["height"]) for p in update["message"]["photo"]] == [(40, 30)]
