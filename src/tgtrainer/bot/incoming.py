"""A message as the core sees it (`core.incoming`), and the bot's first handler: the messages the
core leaves unanswered stop here, before the access check and every other handler."""

from __future__ import annotations

import logging

from telegram import Chat, Update, User
from telegram.ext import ApplicationHandlerStop, ContextTypes

from tgtrainer.core.incoming import Incoming, silence_reason
from tgtrainer.core.types import ChatRef, UserRef

log = logging.getLogger(__name__)


def chat_of(chat: Chat) -> ChatRef:
    return ChatRef(chat.id, chat.type, chat.title)


def person_of(user: User) -> UserRef:
    return UserRef(user.id, user.first_name, user.username, user.language_code)


def incoming_of(update: Update) -> Incoming | None:
    """The update's message or button press as the core sees it; None: it is in no chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    user = update.effective_user
    message = update.effective_message if update.callback_query is None else None
    sender_chat = message.sender_chat if message is not None else None
    return Incoming(
        chat_of(chat),
        person_of(user) if user is not None else None,
        chat_of(sender_chat) if sender_chat is not None else None,
        edited=update.edited_message is not None or update.edited_channel_post is not None,
    )


async def check_sender(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stops a message the core leaves unanswered by design (button presses are for the
    button handlers, which answer every one)."""
    if update.callback_query is not None:
        return
    incoming = incoming_of(update)
    reason = silence_reason(incoming) if incoming is not None else None
    if reason is not None:
        log.info("update %s: not answered: %s", update.update_id, reason)
        raise ApplicationHandlerStop
