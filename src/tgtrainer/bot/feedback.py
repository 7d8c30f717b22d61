"""Feedback in Telegram: the 👍 / 👎 presses, the question for a better answer, the replies that
answer it, and /correct.

Every rule (who may rate what, what a reply means) is `core.feedback.Feedback`'s: each handler
turns its update into one call on it and renders the result. Refusals are `FeedbackError`s,
told by `ErrorBoundary.on_error` (an alert for a button).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from telegram import ForceReply, ReplyParameters, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from tgtrainer.bot.rating_buttons import RATE_CALLBACK, pressed_rating, rating_buttons
from tgtrainer.bot.refs import Context, chat_ref, command_argument, user_ref
from tgtrainer.core.feedback import BAD, GOOD, Corrected, Feedback, NotRateableError

log = logging.getLogger(__name__)

CORRECTIONS_GROUP = -2
"""Handler group of the replies that may be corrections: after the access check, before the
text that follows /teach and before ordinary messages."""
ASK_BETTER = (
    "What would have been a better answer? Reply to this message with it and I will learn "
    "from it (or send /correct <better answer>)."
)
THANKS = "Thank you: saved as the better answer; it goes into the training data."
PRESSED = {GOOD: "Thanks! Noted as a good answer.", BAD: "Noted as a poor answer.", None: ""}


class FeedbackHandlers:
    def __init__(
        self, feedback: Feedback, not_a_question: Callable[[Update], None] | None = None
    ) -> None:
        """`not_a_question` forgets that a reply taken as a correction was stored as a question
        when it arrived (a restart must not answer it)."""
        self._feedback = feedback
        self._not_a_question = not_a_question

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the general ones (they must see /correct first)."""
        application.add_handlers(
            [
                CommandHandler("correct", self.correct),
                CallbackQueryHandler(self.rate_pressed, pattern=f"^{RATE_CALLBACK}"),
            ]
        )
        application.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.REPLY, self.maybe_correction),
            group=CORRECTIONS_GROUP,
        )

    async def rate_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        rating = pressed_rating(query.data)
        if rating not in (GOOD, BAD) or query.message is None:
            raise NotRateableError(f"rating button with data {query.data!r}")
        rated = self._feedback.rate(
            chat_ref(update),
            user_ref(update),
            query.message.message_id,
            GOOD if rating == GOOD else BAD,
        )
        await query.answer(PRESSED[rated.rating] or "Rating taken back.")
        with contextlib.suppress(BadRequest):  # "not modified": two quick presses
            await query.edit_message_reply_markup(rating_buttons(rated.rating))
        if rated.ask_for_correction:
            chat = chat_ref(update)
            asked = await context.bot.send_message(
                chat.id,
                ASK_BETTER,
                reply_parameters=ReplyParameters(
                    query.message.message_id, allow_sending_without_reply=True
                ),
                reply_markup=ForceReply(input_field_placeholder="The better answer")
                if chat.is_private
                else None,
            )
            self._feedback.asked(rated.answer_id, asked.message_id)

    async def correct(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        replied = message.reply_to_message
        corrected = self._feedback.correct(
            chat_ref(update),
            user_ref(update),
            command_argument(message),
            replied.message_id if replied is not None else None,
        )
        await self._confirm(update, context, corrected)

    async def maybe_correction(self, update: Update, context: Context) -> None:
        """A reply to the bot's question for a better answer, or to a 👎 answer, is the better
        answer; any other reply goes on to the other handlers."""
        message = update.effective_message
        if message is None or message.text is None or message.reply_to_message is None:
            return
        corrected = self._feedback.correction_in_reply(
            chat_ref(update), user_ref(update), message.text, message.reply_to_message.message_id
        )
        if corrected is None:
            return
        if self._not_a_question is not None:
            self._not_a_question(update)
        await self._confirm(update, context, corrected)
        raise ApplicationHandlerStop

    async def _confirm(self, update: Update, context: Context, corrected: Corrected) -> None:
        message = update.effective_message
        assert message is not None
        if corrected.button_message_id is not None:
            with contextlib.suppress(BadRequest):  # the buttons already show it, or are gone
                await context.bot.edit_message_reply_markup(
                    message.chat.id,
                    corrected.button_message_id,
                    reply_markup=rating_buttons(corrected.rating),
                )
        await message.reply_text(THANKS)


__all__ = ["FeedbackHandlers"]
