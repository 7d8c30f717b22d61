"""Training in Telegram: /train (with a confirmation), /train_status, /train_cancel, and the
background task that follows running jobs, shows an offline job's progress in one message edited
in place, and tells each job's outcome.

Every rule (who may train, on what, who is told) is `core.training.Training`'s; refusals and
failures are `UserFacingError`s told by `ErrorBoundary.on_error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from tgtrainer.bot.refs import Context, chat_ref, command_argument, user_ref
from tgtrainer.bot.status import StatusMessage
from tgtrainer.core.training import ProgressNotice, Training, job_lines
from tgtrainer.training.base import Method

log = logging.getLogger(__name__)

TRAIN_CALLBACK = "train:"
START_DATA = {"supervised": f"{TRAIN_CALLBACK}go:supervised", "dpo": f"{TRAIN_CALLBACK}go:dpo"}
NO_DATA = f"{TRAIN_CALLBACK}no"
NOT_STARTED = "Not started."
STARTING = "Starting the fine-tuning job…"
NO_JOBS = "No fine-tuning jobs yet: /train starts one."
NOTHING_RUNNING = "No fine-tuning job is running."
STOP_WAIT_SECONDS = 10.0
STOPPING = "stopping (at its next step)"


def _method(argument: str) -> Method:
    return "dpo" if argument.strip().lower() == "dpo" else "supervised"


class ProgressMessages:
    """Which message shows each running job's progress: the one its Start was pressed on, or,
    after a restart, a new one. Edited only when its text changes."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[int, int, str]] = {}  # job -> chat, message, text
        self._held: set[str] = set()

    def hold(self, job_id: str) -> None:
        """Show nothing for `job_id` until it is adopted: its message is still being written."""
        self._held.add(job_id)

    def adopt(self, job_id: str, message: Message, text: str) -> None:
        self._held.discard(job_id)
        self._shown[job_id] = (message.chat_id, message.message_id, text)

    async def show(self, bot: Bot, notice: ProgressNotice) -> None:
        if notice.job_id in self._held:
            return
        chat_id, message_id, text = self._shown.get(notice.job_id, (notice.chat_id, 0, ""))
        if text == notice.text:
            return
        try:
            if message_id:
                await bot.edit_message_text(notice.text, chat_id=chat_id, message_id=message_id)
            else:
                message_id = (await bot.send_message(chat_id, notice.text)).message_id
        except TelegramError as error:  # shown at the next round, or never: the outcome counts
            log.warning("showing the progress of %s failed: %s", notice.job_id, error)
            return
        self._shown[notice.job_id] = (chat_id, message_id, notice.text)

    def forget_all_but(self, job_ids: set[str]) -> None:
        for job_id in set(self._shown) - job_ids:
            del self._shown[job_id]


class TrainingHandlers:
    def __init__(self, training: Training, progress: ProgressMessages | None = None) -> None:
        self._training = training
        self._progress = progress if progress is not None else ProgressMessages()

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; call before the catch-all for unknown commands."""
        application.add_handlers(
            [
                CommandHandler("train", self.train),
                CommandHandler("train_status", self.status),
                CommandHandler("train_cancel", self.cancel),
                CallbackQueryHandler(self.pressed, pattern=f"^{TRAIN_CALLBACK}"),
            ]
        )

    async def train(self, update: Update, context: Context) -> None:
        """`/train [dpo]`: what the job would train on and cost, with Start / Cancel."""
        message = update.effective_message
        assert message is not None
        method = _method(command_argument(message))
        # the offline backend's check imports transformers (seconds): off the event loop
        plan = await asyncio.to_thread(self._training.plan, user_ref(update).id, method)
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Start", callback_data=START_DATA[method]),
                    InlineKeyboardButton("Cancel", callback_data=NO_DATA),
                ]
            ]
        )
        preview = "".join(f"\n{line}" for line in plan.preview())
        await message.reply_text(f"{plan.summary()}{preview}\nStart?", reply_markup=buttons)

    async def pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        if not isinstance(query.message, Message):  # too old for Telegram to show it
            await query.answer(NOT_STARTED)
            return
        if query.data == NO_DATA:
            await query.answer()
            await query.edit_message_text(NOT_STARTED)
            return
        method: Method = "dpo" if query.data == START_DATA["dpo"] else "supervised"
        user = user_ref(update)
        await asyncio.to_thread(self._training.plan, user.id, method)  # refuses first
        await query.answer()
        status = StatusMessage.adopt(
            update, context, query.message, failure="The fine-tuning job could not be started."
        )
        await query.edit_message_text(STARTING)  # the buttons go: one press, one job
        job = await self._training.start(user.id, chat_ref(update).id, method)
        shown = (
            f"Started fine-tuning job {job.job_id}: {job.method} on {job.base_model} with "
            f"{job.examples} examples. I will tell you here when it ends; /train_status shows "
            "how it goes."
        )
        if not self._training.shows_progress:
            await status.finish(shown)
            return
        # this message becomes the job's progress; until it says so, the watcher must not
        # show the progress in a message of its own
        self._progress.hold(job.job_id)
        try:
            await status.finish(shown)
        finally:
            self._progress.adopt(job.job_id, query.message, shown)

    async def status(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        jobs = self._training.jobs(user_ref(update).id)
        lines = [line for job in jobs for line in job_lines(job)]
        await message.reply_text("\n".join(lines) if lines else NO_JOBS)

    async def cancel(self, update: Update, context: Context) -> None:
        """`/train_cancel [job id]`: cancel that job, or every running one."""
        message = update.effective_message
        assert message is not None
        cancelled = await self._training.cancel(
            user_ref(update).id, command_argument(message) or None
        )
        if not cancelled:
            await message.reply_text(NOTHING_RUNNING)
            return
        await message.reply_text(
            "\n".join(
                f"{job.job_id}: {job.state if job.finished else STOPPING}" for job in cancelled
            )
        )


async def watch_jobs(
    bot: Bot,
    training: Training,
    interval: float,
    stop: asyncio.Event,
    progress: ProgressMessages | None = None,
) -> None:
    """Until `stop` is set: every `interval` seconds, ask how running jobs do, show their
    progress, and tell each finished one's outcome once (a chat that cannot be reached is given
    up on; a network failure is retried at the next round)."""
    progress = progress if progress is not None else ProgressMessages()
    while not stop.is_set():
        try:
            notices = await training.poll()
            running = training.progress_notices()
            for shown in running:
                await progress.show(bot, shown)
            progress.forget_all_but({shown.job_id for shown in running})
            for notice in notices:
                if await _tell(bot, notice.chat_ids, notice.text):
                    training.told(notice.job_id)
        except Exception:  # the bot must keep running; the next round tries again
            log.exception("following the fine-tuning jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def _tell(bot: Bot, chat_ids: list[int], text: str) -> bool:
    """Send `text` to each chat; False when the network failed (so try again later)."""
    for chat_id in chat_ids:
        try:
            await bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as error:  # blocked, or never started the bot
            log.warning("cannot tell chat %s about a fine-tuning job: %s", chat_id, error)
        except TelegramError as error:
            log.warning("telling chat %s about a fine-tuning job failed: %s", chat_id, error)
            return False
    return True


async def stop_watching(watcher: asyncio.Task[None]) -> None:
    """Let the watcher finish its round (so nothing is told twice), within a bound."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(watcher, STOP_WAIT_SECONDS)


__all__ = ["ProgressMessages", "TrainingHandlers", "stop_watching", "watch_jobs"]
