"""Documents in Telegram: files, photos and taught text in, learned (the chat's documents are
listed and forgotten in `bot.document_library`).

Every rule (where a thing is learned, who may teach or forget what, what a caption asks) is
`core.teaching.Teaching`'s: each handler turns its update into one call on it and renders the
answer. Files sent together are collected into one batch (`bot.batches`). A file the core
admitted is downloaded into a temporary folder, removed whatever happens; one status message
shows the progress of the whole batch, then what was learned (`bot.learned_text`; or, through
the error boundary, why a lone file was not learned; in a batch, each file's fate is in the
summary). A caption that asks something is then answered. Errors are told by
`bot.boundary.ErrorBoundary.on_error`.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    filters,
)

from tgtrainer.bot.batches import Arrival, Batches
from tgtrainer.bot.learned_text import describe, in_messages, summarize
from tgtrainer.bot.refs import Context, chat_ref, command_argument, user_ref
from tgtrainer.bot.running import RunningWork
from tgtrainer.bot.status import StatusMessage
from tgtrainer.core.file_learning import Learned
from tgtrainer.core.recovery import DOCUMENT, Recovery
from tgtrainer.core.teaching import Teaching, Upload
from tgtrainer.core.types import ChatRef
from tgtrainer.knowledge.errors import NoTextError

Answer = Callable[[Update, Context, str], Awaitable[None]]
FAILED = "I could not learn this document because of an error on my side. Please try again."


def _located(status: StatusMessage, where: str) -> Callable[[str], None]:
    """Progress lines of one file of a batch, saying which."""
    return lambda line: status.set(f"{line} ({where})")


class DocumentHandlers:
    def __init__(
        self,
        teaching: Teaching,
        answer: Answer | None = None,
        *,
        temp_dir: Path | None = None,
        recovery: Recovery | None = None,
        not_a_question: Callable[[Update], None] | None = None,
        no_sight_note: Callable[[ChatRef, bool], str | None] | None = None,
        running: RunningWork | None = None,
    ) -> None:
        """`answer` answers a question in the update's chat: a caption that asks something
        ("What is the deadline?") is answered once the file is learned. Files are downloaded
        under `temp_dir` (None: the system's), which the bot empties on start; `recovery`
        records each document being learned, for a restart to report; `not_a_question` is told
        of a text taken as text to learn; `no_sight_note(chat, always)` is what a learned photo
        adds when the model cannot see pictures (`core.photos.Photos.no_sight_note`)."""
        self._no_sight_note = no_sight_note
        self._teaching = teaching
        self._answer = answer
        self._temp_dir = temp_dir
        self._recovery = recovery
        self._not_a_question = not_a_question
        self._batches = Batches(self._learn_batch, running=running)  # /cancel stops learning

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the general ones (they must see commands first)."""
        application.add_handlers(
            [
                CommandHandler("teach", self.teach),
                CommandHandler("teach_global", self.teach_global),
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

    async def document(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        document = message.document
        upload = Upload(
            document.file_name or "document",
            document.mime_type,
            document.file_size,
            message.caption or "",
        )
        self._batches.add(Arrival(update, context, upload, document.file_id))

    async def photo(self, update: Update, context: Context) -> None:
        """A photo (Telegram's compressed kind): the text in it is read by OCR and learned."""
        message = update.effective_message
        assert message is not None and message.photo
        largest = max(message.photo, key=lambda size: size.width * size.height)
        # The message id keeps the photos of one album apart (a same name would replace).
        name = f"photo {message.date:%Y-%m-%d} #{message.message_id}.jpg"
        upload = Upload(name, "image/jpeg", largest.file_size, message.caption or "")
        self._batches.add(Arrival(update, context, upload, largest.file_id, photo=True))

    async def _learn_batch(self, arrivals: list[Arrival]) -> None:
        if len(arrivals) == 1:
            await self._learn_upload(arrivals[0])
            return
        first = arrivals[0]
        update, context = first.update, first.context
        batch = self._teaching.admit_batch(
            chat_ref(update), user_ref(update), [a.upload for a in arrivals], context.bot.username
        )
        if batch is None:
            return  # in a group, files that are not for the bot
        status = await StatusMessage.send(
            update, context, f"Reading {len(arrivals)} files...", failure=FAILED
        )
        learned: list[Learned] = []
        names = ", ".join(arrival.upload.name for arrival in arrivals)
        with self._working(update, names, status), self._temporary_folder() as folder:
            async with status.showing_progress():
                for number, (arrival, (upload, admitted, why)) in enumerate(
                    zip(arrivals, batch.files, strict=True), start=1
                ):
                    if admitted is None:
                        learned.append(Learned(upload.name, error=why))
                        continue
                    where = f"{number}/{len(arrivals)}: {upload.name}"
                    status.set(f"Reading {where}...")
                    path = Path(folder) / f"upload-{number}"
                    await (await context.bot.get_file(arrival.file_id)).download_to_drive(path)
                    learned += await self._teaching.learn_file(
                        admitted,
                        batch.scope,
                        path,
                        progress=_located(status, where),
                        user_id=batch.user_id,
                    )
                    path.unlink(missing_ok=True)
        await self._finish(status, update, context, summarize(learned), batch.question)

    async def _learn_upload(self, arrival: Arrival) -> None:
        update, context, upload = arrival.update, arrival.context, arrival.upload
        admitted = self._teaching.admit_upload(
            chat_ref(update), user_ref(update), upload, context.bot.username
        )
        if admitted is None:
            return  # in a group, a file that is not for the bot
        status = await StatusMessage.send(
            update, context, f"Reading {upload.name}...", failure=FAILED
        )
        chat = chat_ref(update)
        # A photo learned by the model that cannot see pictures says so (once per chat, and
        # always when no text was found in it).
        note = self._no_sight_note if arrival.photo else None
        try:
            with self._working(update, upload.name, status):
                async with status.showing_progress():
                    with self._temporary_folder() as folder:
                        path = Path(folder) / "upload"
                        await (await context.bot.get_file(arrival.file_id)).download_to_drive(path)
                        learned = await self._teaching.learn_upload(
                            admitted, path, progress=status.set
                        )
        except NoTextError as error:
            said = note(chat, True) if note is not None else None
            if said is None:
                raise
            raise NoTextError(f"{error} {said}", detail=error.detail) from error
        [only] = learned if len(learned) == 1 else [None]
        text = (
            describe(only.result, thin=only.thin)
            if only is not None and only.result is not None
            else summarize(learned)
        )
        said = note(chat, False) if note is not None else None
        await self._finish(
            status, update, context, text + (f"\n{said}" if said else ""), admitted.question
        )

    def _working(
        self, update: Update, name: str, status: StatusMessage
    ) -> contextlib.AbstractContextManager[None]:
        """The learning is recorded as under way, so a restart can say it was interrupted."""
        message = update.effective_message
        if self._recovery is None or message is None:
            return contextlib.nullcontext()
        return self._recovery.working(
            chat_ref(update), DOCUMENT, name, message.message_id, status.message.message_id
        )

    def _temporary_folder(self) -> tempfile.TemporaryDirectory[str]:
        """Where downloads go, removed afterwards whatever happens (and on start, after a
        crash: the bot's own temporary folder is emptied)."""
        if self._temp_dir is not None:
            self._temp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix="tgtrainer-doc-", dir=self._temp_dir)

    async def _finish(
        self, status: StatusMessage, update: Update, context: Context, text: str, question: str
    ) -> None:
        """Show what was learned (a long summary goes on in further messages), then answer
        what the caption asked."""
        first, *rest = in_messages(text.split("\n"))
        await status.finish(first)
        for more in rest:
            await status.message.reply_text(more)
        if question and self._answer is not None:
            await self._answer(update, context, question)

    async def teach(self, update: Update, context: Context) -> None:
        await self._teach(update, everyone=False)

    async def teach_global(self, update: Update, context: Context) -> None:
        await self._teach(update, everyone=True)

    async def _teach(self, update: Update, *, everyone: bool) -> None:
        message = update.effective_message
        assert message is not None
        result = await self._teaching.teach(
            chat_ref(update), user_ref(update), command_argument(message), everyone=everyone
        )
        if result is not None:
            await message.reply_text(describe(result))
            return
        where = "the global collection" if everyone else "this chat's documents"
        await message.reply_text(
            f"Send me the text (or a document) to learn; it goes into {where}."
        )

    async def taught_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        result = await self._teaching.learn_awaited_text(
            chat_ref(update), user_ref(update), message.text
        )
        if result is None:
            return  # an ordinary message: the general handlers answer it
        if self._not_a_question is not None:
            self._not_a_question(update)
        await message.reply_text(describe(result))
        raise ApplicationHandlerStop


__all__ = ["DocumentHandlers"]
