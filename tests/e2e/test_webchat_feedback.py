"""The rating buttons in the web chat, in a real browser: they show, they answer a click like
Telegram's, and they show the rating as it changes."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_webchat import browser, page, sandbox, send
from tgtrainer.bot.feedback import ASK_BETTER, THANKS

__all__ = ["browser", "page", "sandbox"]  # the fixtures this module uses


def test_rating_buttons_work_in_the_web_chat(page: Page) -> None:
    send(page, "Rate this answer")
    answer = page.locator(".msg", has_text="You said: Rate this answer")
    up, down = answer.locator(".keyboard button").nth(0), answer.locator(".keyboard button").nth(1)
    expect(up).to_have_text("👍")
    up.click()
    expect(up).to_have_text("👍 ✓")
    expect(page.locator("#toast")).to_contain_text("good answer")
    down.click()
    expect(down).to_have_text("👎 ✓")
    expect(up).to_have_text("👍")
    expect(page.locator(".msg.in .text", has_text=ASK_BETTER)).to_be_visible()
    send(page, "/correct A better answer.")
    expect(page.locator(".msg.in .text", has_text=THANKS)).to_be_visible()
    expect(down).to_have_text("👎 ✓")
