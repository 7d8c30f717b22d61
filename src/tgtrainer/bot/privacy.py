"""/forget_me: after a confirmation button, everything stored about the user is deleted
(`core.privacy.Privacy`), and the user is told what, counted."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from tgtrainer.bot.refs import Context
from tgtrainer.core.privacy import Privacy

log = logging.getLogger(__name__)
FORGET_ME_CALLBACK = "forgetme:"  # forgetme:yes:<user id>, forgetme:no:<user id>
CONFIRM = (
    "This deletes everything I keep about you: your messages and our conversations, your "
    "documents, ratings and corrections, your usage and access records. It cannot be undone."
)
KEPT = "Nothing was deleted."
NOT_YOURS = "This button is for the person who asked."


class PrivacyHandlers:
    def __init__(self, privacy: Privacy) -> None:
        self._privacy = privacy

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handlers(
            [
                CommandHandler("forget_me", self.forget_me),
                CallbackQueryHandler(self.confirmed, pattern=f"^{FORGET_ME_CALLBACK}"),
            ]
        )

    async def forget_me(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "Delete everything", callback_data=f"{FORGET_ME_CALLBACK}yes:{user.id}"
                    ),
                    InlineKeyboardButton(
                        "Cancel", callback_data=f"{FORGET_ME_CALLBACK}no:{user.id}"
                    ),
                ]
            ]
        )
        await message.reply_text(CONFIRM, reply_markup=buttons)

    async def confirmed(self, update: Update, context: Context) -> None:
        query, user = update.callback_query, update.effective_user
        assert query is not None and query.data is not None and user is not None
        answer, _, owner = query.data.removeprefix(FORGET_ME_CALLBACK).partition(":")
        if owner != str(user.id):
            await query.answer(NOT_YOURS, show_alert=True)
            return
        if answer != "yes":
            await query.answer(KEPT)
            await query.edit_message_text(KEPT)
            return
        report = await self._privacy.forget_user(user.id)
        log.info("user %s: forgotten at their request", user.id)
        await query.answer("Deleted")
        await query.edit_message_text(report.summary())
