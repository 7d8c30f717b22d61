"""Photos in Telegram: the ones the model looks at are downloaded and answered here.

What a photo means is `core.photos.Photos.action`'s: this handler runs before the documents'
one and takes the photos to look at; the others (to learn, or that the model cannot see) go on
to `bot.documents`. Errors are told by `ErrorBoundary.on_error`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.refs import Context, chat_ref, user_ref
from tgtrainer.core.photos import PhotoAction, Photos

GROUP = -1
"""Before the documents' photo handler (group 0), which learns what this one leaves."""


class PhotoHandlers:
    def __init__(self, photos: Photos, handlers: Handlers) -> None:
        self._photos = photos
        self._handlers = handlers

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(MessageHandler(filters.PHOTO, self.photo), group=GROUP)

    async def photo(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.photo
        username = context.bot.username
        replied = message.reply_to_message
        action = self._photos.action(
            chat_ref(update),
            user_ref(update),
            message.caption or "",
            username,
            replies_to_bot=bool(
                replied and replied.from_user and replied.from_user.username == username
            ),
        )
        if action is PhotoAction.LEARN:
            return  # the documents' handler learns its text
        if action is PhotoAction.IGNORE:
            raise ApplicationHandlerStop
        largest = max(message.photo, key=lambda size: size.width * size.height)
        data = bytes(await (await context.bot.get_file(largest.file_id)).download_as_bytearray())
        question = await self._photos.look(data, message.caption or "", username)
        await self._handlers.reply(update, context, question.text, photo=question)
        raise ApplicationHandlerStop
