"""Documents in Telegram: learning files and taught text, listing, forgetting, showing sources.

A document is checked (size, type) before it is downloaded, into a temporary folder that is
removed afterwards whatever happens; one status message is edited with the progress and then
with what was learned; a caption that asks something is then answered. What is taught in a
private chat is the user's alone, in a group the group's; admins (`ADMIN_USER_IDS`) can teach
the global collection with /teach_global. Photos are learned by the text OCR reads in them.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from tgtrainer.bot.handlers import Context, chat_ref, command_argument, user_ref
from tgtrainer.config import Settings
from tgtrainer.core.grounding import scopes_for, teaching_scope
from tgtrainer.knowledge.errors import DocumentError, EmbeddingError
from tgtrainer.knowledge.extract import SUPPORTED, admit
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import GLOBAL_SCOPE, DocumentInfo, LearnResult

log = logging.getLogger(__name__)
Answer = Callable[[Update, Context, str], Awaitable[None]]
FORGET_CALLBACK = "kbforget:"
PROGRESS_INTERVAL = 1.0  # seconds between edits of the status message
GLOBAL_FLAG = "#global"
NOT_ADMIN = "Only the bot's admins can teach the global collection."
FAILED = "I could not learn this document because of an error on my side. Please try again."


def caption_question(caption: str, username: str) -> str:
    """What a file's caption asks, without the bot's @name and the teaching flags; "" if
    nothing is left."""
    words = [
        word
        for word in caption.split()
        if word.lower() not in {f"@{username}".lower(), GLOBAL_FLAG, "/teach", "/teach_global"}
        and not word.lower().startswith(("/teach@", "/teach_global@"))
    ]
    return " ".join(words)


def describe(result: LearnResult) -> str:
    document = result.document
    if result.status == "known":
        day = datetime.fromtimestamp(document.created_at, UTC).strftime("%Y-%m-%d")
        return f"I already know {document.name} (learned {day}); nothing changed."
    verb = "Updated" if result.status == "replaced" else "Learned"
    parts = []
    if document.pages:
        parts.append(f"{document.pages} pages")
    parts.append(_count(document.chunks, "passage"))
    text = f"{verb} {document.name}: " + ", ".join(parts) + "."
    if result.status == "replaced":
        text += " The new version replaces the old one."
    if document.first_heading:
        text += f"\nFirst heading: {document.first_heading}"
    for note in result.notes:
        text += f"\n{note}"
    return text + "\nAsk me about it."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(size / 1024, 0.1):.1f} KB"


class _Progress:
    """The latest status line, set from any thread; shown by editing one message."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.line = ""
        self._shown = ""

    def set(self, line: str) -> None:
        self.line = line

    async def show_until_cancelled(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            if self.line and self.line != self._shown:
                self._shown = self.line
                with contextlib.suppress(TelegramError):
                    await self.message.edit_text(self.line)


class DocumentHandlers:
    def __init__(self, settings: Settings, library: Library, answer: Answer | None = None) -> None:
        """`answer` answers a question in the update's chat: a caption that asks something
        ("What is the deadline?") is answered once the file is learned."""
        self._settings = settings
        self._library = library
        self._answer = answer

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the general ones (they must see commands first)."""
        application.add_handlers(
            [
                CommandHandler("teach", self.teach),
                CommandHandler("teach_global", self.teach_global),
                CommandHandler("docs", self.docs),
                CommandHandler("forget", self.forget),
                CommandHandler("forget_all", self.forget_all),
                CommandHandler("sources", self.sources),
                CallbackQueryHandler(self.forget_pressed, pattern=f"^{FORGET_CALLBACK}"),
                # Audio and video sent as files are for the voice handlers to hear.
                MessageHandler(
                    filters.Document.ALL & ~filters.Document.AUDIO & ~filters.Document.VIDEO,
                    self.document,
                ),
                MessageHandler(filters.PHOTO, self.photo),
            ]
        )
        # Before every other handler: the text that follows /teach is learned, not answered.
        application.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND, self.taught_text), group=-1
        )

    def _is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self._settings.admin_user_ids

    # -- learning ----------------------------------------------------------------------------

    async def document(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        document = message.document
        name = document.file_name or "document"
        scope = await self._upload_scope(update, context)
        if scope is not None:
            learned = await self._learn_upload(
                update,
                context,
                scope,
                document.file_id,
                name,
                document.mime_type,
                document.file_size,
            )
            if learned:
                await self._answer_caption(update, context)

    async def photo(self, update: Update, context: Context) -> None:
        """A photo (Telegram's compressed kind): the text in it is read by OCR and learned."""
        message = update.effective_message
        assert message is not None and message.photo
        largest = max(message.photo, key=lambda size: size.width * size.height)
        # The message id keeps the photos of one album apart (a same name would replace).
        name = f"photo {message.date:%Y-%m-%d} #{message.message_id}.jpg"
        scope = await self._upload_scope(update, context)
        if scope is not None:
            learned = await self._learn_upload(
                update, context, scope, largest.file_id, name, "image/jpeg", largest.file_size
            )
            if learned:
                await self._answer_caption(update, context)

    async def _answer_caption(self, update: Update, context: Context) -> None:
        """A caption that is more than the bot's name and teaching flags is a question: answer
        it, from the documents that now include this one."""
        message = update.effective_message
        assert message is not None
        question = caption_question(message.caption or "", context.bot.username)
        if question and self._answer is not None:
            await self._answer(update, context, question)

    async def _upload_scope(self, update: Update, context: Context) -> str | None:
        """Where a file sent now is learned, or None when it is not for the bot (or not allowed,
        which the sender is told)."""
        message = update.effective_message
        assert message is not None
        chat, user = chat_ref(update), user_ref(update)
        caption = message.caption or ""
        pending = self._library.take_awaited_teaching(chat.id, user.id)
        wants_global = (
            pending == GLOBAL_SCOPE or GLOBAL_FLAG in caption or ("/teach_global" in caption)
        )
        if chat.type != ChatType.PRIVATE and not (
            pending or wants_global or "/teach" in caption or f"@{context.bot.username}" in caption
        ):
            return None  # in groups, only files meant for the bot
        if wants_global and not self._is_admin(update):
            await message.reply_text(NOT_ADMIN)
            return None
        return GLOBAL_SCOPE if wants_global else teaching_scope(chat, user)

    async def _learn_upload(
        self,
        update: Update,
        context: Context,
        scope: str,
        file_id: str,
        name: str,
        mime_type: str | None,
        file_size: int | None,
    ) -> bool:
        """Check, download (to a temporary folder, always removed), learn and say what was learned,
        editing one status message with the progress. Whether the file is now known."""
        message = update.effective_message
        assert message is not None
        try:
            admitted = admit(name, mime_type, file_size, self._library.limits)
        except DocumentError as error:
            await message.reply_text(str(error))
            return False
        status = await message.reply_text(f"Reading {name}...")
        progress = _Progress(status)
        shower = asyncio.create_task(progress.show_until_cancelled())
        learned = False
        try:
            with tempfile.TemporaryDirectory(prefix="tgtrainer-doc-") as folder:
                path = Path(folder) / "upload"
                telegram_file = await context.bot.get_file(file_id)
                await telegram_file.download_to_drive(path)
                result = await self._library.learn_file(
                    path, admitted, scope, progress=progress.set
                )
            answer = describe(result)
            learned = True
        except DocumentError as error:
            log.info("update %s: document refused: %s", update.update_id, error)
            answer = str(error)
        except EmbeddingError as error:
            log.warning("update %s: embedding failed: %r", update.update_id, error.__cause__)
            answer = str(error)
        except Exception:
            log.exception("update %s: learning a document failed", update.update_id)
            answer = FAILED
        finally:
            shower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shower
        await status.edit_text(answer)
        return learned

    async def teach(self, update: Update, context: Context) -> None:
        chat, user = chat_ref(update), user_ref(update)
        await self._teach(update, teaching_scope(chat, user))

    async def teach_global(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        if not self._is_admin(update):
            await message.reply_text(NOT_ADMIN)
            return
        await self._teach(update, GLOBAL_SCOPE)

    async def _teach(self, update: Update, scope: str) -> None:
        message = update.effective_message
        assert message is not None
        text = command_argument(message)
        if text:
            await self._learn_text(message, text, scope)
            return
        chat, user = chat_ref(update), user_ref(update)
        self._library.await_teaching(chat.id, user.id, scope)
        where = "the global collection" if scope == GLOBAL_SCOPE else "this chat's documents"
        await message.reply_text(
            f"Send me the text (or a document) to learn; it goes into {where}."
        )

    async def taught_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        chat, user = chat_ref(update), user_ref(update)
        scope = self._library.take_awaited_teaching(chat.id, user.id)
        if scope is None:
            return  # an ordinary message: the general handlers answer it
        await self._learn_text(message, message.text, scope)
        raise ApplicationHandlerStop

    async def _learn_text(self, message: Message, text: str, scope: str) -> None:
        words = " ".join(text.split()[:6])
        name = f"note: {words[:60]}"
        try:
            result = await self._library.learn_text(text, name, scope)
            answer = describe(result)
        except DocumentError as error:
            answer = str(error)
        except EmbeddingError as error:
            answer = str(error)
        await message.reply_text(answer)

    # -- the chat's documents ----------------------------------------------------------------

    async def docs(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        chat, user = chat_ref(update), user_ref(update)
        own_scope = teaching_scope(chat, user)
        documents = self._library.documents(scopes_for(chat, user))
        if not documents:
            await message.reply_text(
                "I have no documents for this chat yet. Send me a file or use /teach; I read "
                f"{SUPPORTED}."
            )
            return
        lines, buttons = [], []
        for number, document in enumerate(documents, start=1):
            day = datetime.fromtimestamp(document.created_at, UTC).strftime("%Y-%m-%d")
            shared = " (global)" if document.scope == GLOBAL_SCOPE else ""
            lines.append(
                f"{number}. {html.escape(document.name)}{shared}: {_size(document.size)}, "
                f"{day}, {_count(document.chunks, 'passage')}"
            )
            if document.scope == own_scope or (
                document.scope == GLOBAL_SCOPE and self._is_admin(update)
            ):
                buttons.append(
                    [
                        InlineKeyboardButton(
                            f"Forget {document.name}"[:60],
                            callback_data=f"{FORGET_CALLBACK}{document.id}",
                        )
                    ]
                )
        await message.reply_text(
            "<b>Documents I answer from here:</b>\n" + "\n".join(lines),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
        )

    def _forgettable(self, update: Update, document_id: int) -> DocumentInfo | None:
        chat, user = chat_ref(update), user_ref(update)
        allowed = [teaching_scope(chat, user)]
        if self._is_admin(update):
            allowed.append(GLOBAL_SCOPE)
        return next((d for d in self._library.documents(allowed) if d.id == document_id), None)

    async def forget_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        raw = query.data.removeprefix(FORGET_CALLBACK)
        document = self._forgettable(update, int(raw)) if raw.isdigit() else None
        if document is None:
            await query.answer("That document is already gone.")
            return
        await self._library.forget_document(document)
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
        chat, user = chat_ref(update), user_ref(update)
        forgotten = await self._library.forget(teaching_scope(chat, user), name)
        if forgotten is None and self._is_admin(update):
            forgotten = await self._library.forget(GLOBAL_SCOPE, name)
        if forgotten is None:
            await message.reply_text(f"I have no document called {name} here; see /docs.")
        else:
            await message.reply_text(f"Forgot {forgotten.name}.")

    async def forget_all(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        chat, user = chat_ref(update), user_ref(update)
        count = await self._library.forget_all(teaching_scope(chat, user))
        await message.reply_text(
            f"Forgot {_count(count, 'document')}." if count else "There was nothing to forget."
        )

    async def sources(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        passages = self._library.last_sources(chat_ref(update).id)
        if not passages:
            await message.reply_text("My last answer here did not come from your documents.")
            return
        room = 3800 // len(passages)
        blocks = []
        for number, passage in enumerate(passages, start=1):
            text = passage.text if len(passage.text) <= room else passage.text[: room - 1] + "…"
            blocks.append(f"[{number}] {passage.location}\n{text}")
        await message.reply_text("\n\n".join(blocks))


__all__ = ["DocumentHandlers", "describe"]
