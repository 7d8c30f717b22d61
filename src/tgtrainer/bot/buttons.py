"""Button presses the bot did not offer get a short answer, so that no button keeps spinning;
menus that can no longer be edited are left as they are."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ContextTypes

log = logging.getLogger(__name__)
NOT_OFFERED = "This button is not one of mine any more. Send the command again for a fresh menu."


class UnusablePressHandler(CallbackQueryHandler):  # type: ignore[type-arg]
    """A press with no data (PTB lets it match every pattern) or with no message to act in
    (a forged one): register it before the handlers of the bot's own buttons."""

    def __init__(self) -> None:
        super().__init__(not_offered)

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.callback_query is None:
            return False
        query = update.callback_query
        return not query.data or query.message is None


def unknown_press_handler() -> CallbackQueryHandler:  # type: ignore[type-arg]
    """Every press no other handler took: register it after them."""
    return CallbackQueryHandler(not_offered)


async def not_offered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    log.info("update %s: a button press the bot did not offer", update.update_id)
    await query.answer(NOT_OFFERED)


async def show_in_menu(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show `text` in the pressed menu; the choice was already answered, so a menu that cannot
    be edited (gone, not the bot's, or showing this already) stays as it is."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        log.info("the menu was not edited: %s", error.message)
