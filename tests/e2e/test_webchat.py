"""The web chat in a real browser (Debian's chromium driven by Playwright), against `tgtrainer
sandbox` as a process: the real bot, the fake OpenAI server as its model.

One walk through what a person does: chat and watch the reply stream, press an inline button,
send a document and a voice note, switch to another user and to the group, reload the page.
"""

from __future__ import annotations

import io
import socket
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import SCRIPTS
from tests.support.browser import chromium
from tests.support.sandbox_process import SandboxProcess, sandbox_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import tone_wav

ALICE, GROUP = 1001, -1001
TIMEOUT_MS = 30_000
STREAMED = "**Streaming** works: " + " ".join(f"word{i}" for i in range(40)) + " `done`"


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """One browser for the module: each test's sandbox has its own port, so its own storage."""
    with chromium() as context:
        yield context


@pytest.fixture
def sandbox(fake_openai: FakeOpenAIServer, tmp_path: Path) -> Iterator[SandboxProcess]:
    process = SandboxProcess(sandbox_environment(fake_openai, tmp_path / "data"), tmp_path)
    process.start()
    yield process
    assert process.stop() == 0, process.log()
    assert "Traceback" not in process.log()


@pytest.fixture
def page(browser: BrowserContext, sandbox: SandboxProcess) -> Iterator[Page]:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    yield page
    page.close()
    assert errors == [], errors


def bot_messages(page: Page) -> int:
    return page.locator(".msg[data-from-bot]").count()


def wait_for_more_bot_messages(page: Page, than: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.msg[data-from-bot]').length > n", arg=than
    )


def send(page: Page, text: str) -> None:
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")


def user_view(sandbox: SandboxProcess, chat_id: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = httpx.get(
        f"{sandbox.url}/sandbox/api/chats/{chat_id}/messages", timeout=10
    ).json()["messages"]
    return messages


def describe_audio(data: bytes) -> tuple[str, str, int, int]:
    with av.open(io.BytesIO(data)) as container:
        context = container.streams.audio[0].codec_context
        return container.format.name, context.name, context.sample_rate, context.layout.nb_channels


def gray_pixels(png: bytes) -> list[int]:
    with av.open(io.BytesIO(png)) as image:
        frame = next(image.decode(video=0)).reformat(format="gray")
    plane = frame.planes[0]
    row = plane.line_size
    data = bytes(plane)
    return [data[y * row + x] for y in range(0, frame.height, 4) for x in range(0, frame.width, 4)]


def assert_not_blank(page: Page, path: Path) -> None:
    """Save what the page looks like (to look at) and check it shows something."""
    page.screenshot(path=str(path))
    pixels = gray_pixels(path.read_bytes())
    assert statistics.pstdev(pixels) > 10
    assert len(set(pixels)) > 50


def test_a_person_chats_with_the_real_bot_in_the_browser(
    page: Page, sandbox: SandboxProcess, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    # The command menu comes from what the bot registered with setMyCommands.
    page.locator("#menu-button").click()
    expect(page.locator("#popup .cmd", has_text="/model")).to_be_visible()
    expect(page.locator("#popup .cmd", has_text="/help")).to_be_visible()
    page.keyboard.press("Escape")

    # A message, and the reply streaming in as a draft, then rendered from the bot's HTML.
    SCRIPTS["Show me streaming"] = STREAMED
    fake_openai.chunk_delay = 0.1  # the draft shows for seconds: long enough to be seen
    try:
        send(page, "Show me streaming")
        expect(page.locator(".msg.out .text", has_text="Show me streaming")).to_be_visible()
        expect(page.locator(".bubble.draft")).to_be_visible()
        final = page.locator(".msg.in .text", has_text="word39")
        expect(final).to_be_visible()
    finally:
        fake_openai.chunk_delay = 0.0
    expect(page.locator(".bubble.draft")).to_have_count(0)
    expect(final.locator("b", has_text="Streaming")).to_be_visible()
    expect(final.locator("code", has_text="done")).to_be_visible()
    assert page.evaluate("window.sandbox.stats.drafts") > 1

    # An inline keyboard: the button's callback query changes the bot's message.
    send(page, "/model")
    keyboard = page.locator(".keyboard button", has_text="fake-large")
    keyboard.click()
    expect(page.locator(".msg.in .text", has_text="This chat now uses fake-large.")).to_be_visible()
    expect(page.locator("#toast")).to_contain_text("Model: fake-large")

    # A document, attached with the button's file picker: it shows up, and the bot answers.
    notes = tmp_path / "notes.txt"
    notes.write_text("The sandbox's secret number is 42.\n")
    answered = bot_messages(page)
    page.locator("#attach-button").click()
    with page.expect_file_chooser() as chooser:
        page.locator("#attach-menu button[data-kind='document']").click()
    chooser.value.set_files(notes)
    expect(page.locator(".msg.out .file-name", has_text="notes.txt")).to_be_visible()
    wait_for_more_bot_messages(page, answered)

    # A voice note from an audio file: the server turns it into OGG/Opus 48 kHz mono.
    recording = tmp_path / "recording.wav"
    recording.write_bytes(tone_wav(seconds=2.0, rate=44_100, channels=2))
    answered = bot_messages(page)
    page.locator("#file-voice").set_input_files(recording)
    expect(page.locator(".msg.out .bubble[data-kind='voice'] audio")).to_be_visible()
    wait_for_more_bot_messages(page, answered)
    [voice] = [m for m in user_view(sandbox, ALICE) if m["kind"] == "voice"]
    assert (voice["mime_type"], voice["duration"]) == ("audio/ogg", 2)
    stored = httpx.get(f"{sandbox.url}/sandbox/api/files/{voice['file_id']}", timeout=10).content
    assert describe_audio(stored) == ("ogg", "opus", 48_000, 1)
    assert page.evaluate(
        "async () => { const a = document.querySelector(\".bubble[data-kind='voice'] audio\");"
        " if (a.readyState < 1) await new Promise(r => a.onloadedmetadata = r);"
        " return a.duration; }"
    ) == pytest.approx(2.0, abs=0.1)

    # An audio file dropped on the chat: sent as an audio file, kept as it was, with its length.
    page.evaluate(
        """async (bytes) => {
            const file = new File([new Uint8Array(bytes)], "song.wav", {type: "audio/wav"});
            const data = new DataTransfer();
            data.items.add(file);
            const chat = document.getElementById("chat");
            for (const type of ["dragenter", "dragover", "drop"]) {
                chat.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true}));
            }
        }""",
        list(tone_wav(seconds=3.0)),
    )
    expect(page.locator(".bubble[data-kind='audio'] .audio-kind")).to_have_text("song.wav · 0:03")
    expect(page.locator("#drop-overlay")).to_be_hidden()
    [song] = [m for m in user_view(sandbox, ALICE) if m["kind"] == "audio"]
    song_bytes = httpx.get(f"{sandbox.url}/sandbox/api/files/{song['file_id']}", timeout=10)
    assert song_bytes.content == tone_wav(seconds=3.0)

    assert_not_blank(page, tmp_path / "private-chat.png")

    # Another user: Bob's own chat with the bot is empty; Alice's stays hers.
    page.locator("#user-select").select_option(str(1002))
    expect(page.locator("#chat-subtitle")).to_contain_text("@tgtrainer_bot")
    expect(page.locator(".msg")).to_have_count(0)

    # The group: the bot answers a mention, then a reply to its own message.
    page.locator("#chat-list li[data-chat='-1001']").click()
    answered = bot_messages(page)
    page.locator("#input").fill("")
    page.locator("#input").type("Hello @tgtr")
    page.locator("#popup button", has_text="@tgtrainer_bot").click()
    page.locator("#input").type("what's up?")
    page.locator("#send-button").click()
    wait_for_more_bot_messages(page, answered)
    bot_reply = page.locator(".msg[data-from-bot]").last
    expect(bot_reply.locator(".sender")).to_have_text("tgtrainer")
    expect(bot_reply.locator(".text")).to_contain_text("You said: Hello what's up?")

    page.locator("#user-select").select_option(str(ALICE))
    expect(page.locator("#chat-title")).to_have_text("Sandbox group")
    answered = bot_messages(page)
    page.locator(".msg[data-from-bot]").last.dblclick()
    expect(page.locator("#reply-bar")).to_be_visible()
    send(page, "and to you, Alice")
    wait_for_more_bot_messages(page, answered)
    expect(page.locator(".msg[data-from-bot] .text").last).to_contain_text("You said: and to you")
    group = user_view(sandbox, GROUP)
    assert [m["from"]["first_name"] for m in group if not m["from_bot"]] == ["Bob", "Alice"]

    # A reload shows the same chat.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator("#chat-title")).to_have_text("Sandbox group")
    mine = page.locator(".msg.out", has_text="and to you, Alice")
    expect(mine.locator(".quote b")).to_have_text("tgtrainer")  # it replies to the bot
    answer = page.locator(".msg[data-from-bot]").last
    expect(answer.locator(".quote")).to_contain_text("and to you, Alice")

    assert_not_blank(page, tmp_path / "group-chat.png")


def test_a_voice_note_recorded_with_the_microphone_arrives_as_telegram_sends_it(
    page: Page, sandbox: SandboxProcess
) -> None:
    answered = bot_messages(page)
    page.locator("#mic-button").click()
    expect(page.locator("#recording-bar")).to_be_visible()
    page.wait_for_timeout(2300)  # the length of the recording, not a wait for the app
    page.locator("#mic-button").click()
    expect(page.locator("#recording-bar")).to_be_hidden()
    expect(page.locator(".msg.out .bubble[data-kind='voice'] audio")).to_be_visible()
    wait_for_more_bot_messages(page, answered)  # the bot got it and answered
    [voice] = [m for m in user_view(sandbox, ALICE) if m["kind"] == "voice"]
    assert voice["mime_type"] == "audio/ogg"
    assert voice["duration"] >= 2
    stored = httpx.get(f"{sandbox.url}/sandbox/api/files/{voice['file_id']}", timeout=10).content
    assert describe_audio(stored) == ("ogg", "opus", 48_000, 1)


def test_the_open_page_rides_out_a_restart_of_the_sandbox(
    browser: BrowserContext, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = SandboxProcess(
        sandbox_environment(fake_openai, tmp_path / "data"), tmp_path, "--port", str(port)
    )
    url = process.start()
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(url)
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        send(page, "before the restart")
        expect(
            page.locator(".msg.in .text", has_text="You said: before the restart")
        ).to_be_visible()

        assert process.stop() == 0
        expect(page.locator("#banner")).to_contain_text("not answering")
        assert process.start() == url
        expect(page.locator("#banner")).to_be_hidden()
        expect(
            page.locator(".msg.in .text", has_text="You said: before the restart")
        ).to_be_visible()

        send(page, "after the restart")
        expect(
            page.locator(".msg.in .text", has_text="You said: after the restart")
        ).to_be_visible()
        expect(page.locator(".msg")).to_have_count(4)
    finally:
        page.close()
        assert process.stop() == 0


def test_a_long_reply_arrives_as_several_messages(page: Page) -> None:
    paragraphs = [f"Paragraph {n}: " + " ".join(["lorem ipsum dolor"] * 120) for n in range(4)]
    SCRIPTS["Tell me everything"] = "\n\n".join(paragraphs)
    send(page, "Tell me everything")
    parts = page.locator(".msg[data-from-bot] .text")  # sent messages, not the draft
    expect(parts.filter(has_text="Paragraph 3:")).to_be_visible()
    assert parts.count() >= 3  # 8,700 characters: at least three messages of 4,096
    shown = " ".join(parts.all_inner_texts())
    for n in range(4):
        assert f"Paragraph {n}:" in shown
