"""The chat's documents in Telegram: /docs lists them (with a button to forget each), /forget
and /forget_all remove them, /sources shows the passages the last answer came from.

Who may see or forget what is `core.teaching.Teaching`'s to decide; these handlers only render.
"""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from tgtrainer.bot.learned_text import counted, file_size
from tgtrainer.bot.refs import Context, chat_ref, command_argument, user_ref
from tgtrainer.bot.split import shortened
from tgtrainer.core.grounding import by_document
from tgtrainer.core.teaching import Teaching
from tgtrainer.knowledge.extract import SUPPORTED

FORGET_CALLBACK = "kbforget:"
SOURCES_CHARS = 3800  # the passages of /sources share one message
DOCS_PER_MESSAGE = 50  # /docs: entries (and their buttons) per message


class DocumentLibraryHandlers:
    def __init__(self, teaching: Teaching) -> None:
        self._teaching = teaching

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the general ones (they must see commands first)."""
        application.add_handlers(
            [
                CommandHandler("docs", self.docs),
                CommandHandler("forget", self.forget),
                CommandHandler("forget_all", self.forget_all),
                CommandHandler("sources", self.sources),
                CallbackQueryHandler(self.forget_pressed, pattern=f"^{FORGET_CALLBACK}"),
            ]
        )

    async def docs(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        listed = self._teaching.documents(chat_ref(update), user_ref(update))
        if not listed:
            await message.reply_text(
                "I have no documents for this chat yet. Send me a file or use /teach; I read "
                f"{SUPPORTED}."
            )
            return
        for start in range(0, len(listed), DOCS_PER_MESSAGE):
            lines, buttons = [], []
            for number, entry in enumerate(listed[start : start + DOCS_PER_MESSAGE], start + 1):
                document = entry.document
                day = datetime.fromtimestamp(document.created_at, UTC).strftime("%Y-%m-%d")
                shared = " (global)" if entry.is_global else ""
                lines.append(
                    f"{number}. {html.escape(document.name)}{shared}: {file_size(document.size)}, "
                    f"{day}, {counted(document.chunks, 'passage')}"
                )
                if entry.forgettable:
                    label = f"Forget {document.name}"[:60]
                    data = f"{FORGET_CALLBACK}{document.id}"
                    buttons.append([InlineKeyboardButton(label, callback_data=data)])
            title = "<b>Documents I answer from here:</b>\n" if start == 0 else ""
            await message.reply_text(
                title + "\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
            )

    async def forget_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        raw = query.data.removeprefix(FORGET_CALLBACK)
        document = (
            await self._teaching.forget_by_id(chat_ref(update), user_ref(update), int(raw))
            if raw.isascii() and raw.isdigit() and len(raw) <= 18  # an id SQLite can hold
            else None
        )
        if document is None:
            await query.answer("That document is already gone.")
            return
        await query.answer(f"Forgot {document.name}")
        if query.message is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(query.message.chat.id, f"Forgot {document.name}.")

    async def forget(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        name = command_argument(message)
        if not name:
            await message.reply_text("Which one? /forget <name>; /docs lists the documents.")
            return
        forgotten = await self._teaching.forget(chat_ref(update), user_ref(update), name)
        if forgotten is None:
            await message.reply_text(
                f"I have no document called {shortened(name)} here; see /docs."
            )
        else:
            await message.reply_text(f"Forgot {shortened(forgotten.name)}.")

    async def forget_all(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        count = await self._teaching.forget_all(chat_ref(update), user_ref(update))
        await message.reply_text(
            f"Forgot {counted(count, 'document')}." if count else "There was nothing to forget."
        )

    async def sources(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        passages = self._teaching.last_sources(chat_ref(update))
        if not passages:
            await message.reply_text("My last answer here did not come from your documents.")
            return
        room = SOURCES_CHARS // len(passages)
        blocks = []
        for document, cited in by_document(passages):  # each document named once
            lines = [document]
            for number, passage in cited:
                text = passage.text if len(passage.text) <= room else passage.text[: room - 1] + "…"
                lines.append(f"[{number}] {passage.place}".rstrip() + f"\n{text}")
            blocks.append("\n".join(lines))
        await message.reply_text("\n\n".join(blocks))
