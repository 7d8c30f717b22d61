"""The bot's one error boundary: every handler's failure, and every stopped piece of work, is
told to the user here, where the answer would have been."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from tgtrainer.bot.refs import Context, chat_ref
from tgtrainer.bot.status import unfinished_status
from tgtrainer.core import Assistant
from tgtrainer.errors import UserFacingError
from tgtrainer.storage.full import as_storage_full

log = logging.getLogger(__name__)
INTERNAL_ERROR = "Something went wrong on my side. Please try again."


class ErrorBoundary:
    """Tells failures and stops in the chat; closes the failed update's question."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    async def on_error(self, update: object, context: Context) -> None:
        """The bot's one error boundary: every handler's failure ends here.

        A `UserFacingError` is told by its sentence, anything else by a generic one (the log
        gets the traceback, the chat never); both are logged with the update id. The sentence
        finishes the update's unfinished status message if it has one, else it is a reply (an
        alert for a button). An update that failed goes no further.
        """
        error = as_storage_full(context.error)  # a file that could not grow: the disk is full
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, UserFacingError):
            level = logging.WARNING if error.__cause__ is not None else logging.INFO
            level = logging.ERROR if error.operator_alert else level
            log.log(level, "update %s: %r, caused by %r", update_id, error, error.__cause__)
        else:
            log.error("update %s failed", update_id, exc_info=error)
        if isinstance(update, Update):
            sentence = str(error) if isinstance(error, UserFacingError) else None
            try:
                await _tell_failure(update, context, sentence)
                message = update.effective_message
                if message is not None and update.effective_chat is not None:
                    self._assistant.close(chat_ref(update), message.message_id)
            except Exception:
                log.exception("update %s: could not tell the user about the failure", update_id)
        raise ApplicationHandlerStop

    async def tell_stopped(
        self,
        application: Application,  # type: ignore[type-arg]
        update: Update,
        sentence: str,
    ) -> None:
        """Say why the update's work stopped, where its answer would have been."""
        try:
            await _tell_failure(update, CallbackContext.from_update(update, application), sentence)
        except Exception:
            log.exception("update %s: could not say that its work stopped", update.update_id)


async def _tell_failure(update: Update, context: Context, sentence: str | None) -> None:
    """Say `sentence` (None: the generic one) where the user waits for the update's answer."""
    status = unfinished_status(update, context)
    if status is not None:
        await status.finish(sentence or status.failure)
        return
    sentence = sentence or INTERNAL_ERROR
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(sentence, show_alert=True)
            return
        except TelegramError:  # the button was answered already: say it in the chat
            pass
    elif update.effective_message is not None:
        await update.effective_message.reply_text(sentence)
        return
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, sentence)
