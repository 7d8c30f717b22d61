"""The rating buttons go on the last message of an answer, however it was streamed."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup

from tgtrainer.bot.rating_buttons import rating_buttons
from tgtrainer.bot.reply import ReplyWriter

BUTTONS = rating_buttons(None)


class RecordingBot:
    """Just enough of `telegram.Bot` for `ReplyWriter`: records what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = iter(range(1, 100))

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        self.calls.append(("send", {"text": text, **kwargs}))
        return type("Sent", (), {"message_id": next(self._ids)})()

    async def send_message_draft(self, *args: Any, **kwargs: Any) -> bool:
        return True

    async def edit_message_text(
        self, text: str, chat_id: int, message_id: int, **kwargs: Any
    ) -> None:
        self.calls.append(("edit", {"text": text, "message_id": message_id, **kwargs}))

    async def edit_message_reply_markup(self, chat_id: int, message_id: int, **kwargs: Any) -> None:
        self.calls.append(("markup", {"message_id": message_id, **kwargs}))


def markups(bot: RecordingBot) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    return [(kind, call.get("reply_markup")) for kind, call in bot.calls]


async def test_private_answers_get_the_buttons_on_the_last_part_only() -> None:
    bot = RecordingBot()
    writer = ReplyWriter(bot, 1, private=True, interval=0)  # type: ignore[arg-type]
    text = "\n\n".join(f"Paragraph {i} " + "word " * 200 for i in range(6))
    ids = await writer.finish(text, buttons=BUTTONS)
    assert len(ids) >= 2
    assert [markup for _, markup in markups(bot)] == [None] * (len(ids) - 1) + [BUTTONS]


async def test_a_streamed_group_answer_gets_them_by_its_final_edit() -> None:
    bot = RecordingBot()
    writer = ReplyWriter(bot, -5, private=False, interval=0, first_delay=0)  # type: ignore[arg-type]
    await writer.preview("Hello there")
    await writer.finish("Hello there", buttons=BUTTONS)  # the text did not change
    assert markups(bot) == [("send", None), ("markup", BUTTONS)]
    bot.calls.clear()
    writer = ReplyWriter(bot, -5, private=False, interval=0, first_delay=0)  # type: ignore[arg-type]
    await writer.preview("Hello")
    await writer.finish("Hello there", buttons=BUTTONS)
    assert markups(bot) == [("send", None), ("edit", BUTTONS)]
