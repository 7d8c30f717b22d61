"""Telegram update handlers: each turns an Update into a core call and renders the answer."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from dataclasses import dataclass
from typing import Protocol

from telegram import Bot, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ContextTypes

from tgtrainer.bot.commands import GREETING, help_text
from tgtrainer.bot.incoming import chat_of, incoming_of
from tgtrainer.bot.rating_buttons import rating_buttons
from tgtrainer.bot.reply import ReplyWriter, still_working
from tgtrainer.bot.running import RunningWork
from tgtrainer.bot.split import split_html
from tgtrainer.bot.status import unfinished_status
from tgtrainer.bot.typing_indicator import chat_action
from tgtrainer.config import Settings
from tgtrainer.core import Assistant, ChatRef, UserRef
from tgtrainer.core.feedback import Feedback
from tgtrainer.core.incoming import asker
from tgtrainer.core.photos import PhotoQuestion
from tgtrainer.errors import UserFacingError
from tgtrainer.llm import ModelError
from tgtrainer.storage.full import as_storage_full

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
EMPTY_ANSWER = "The model gave an empty answer. Try rephrasing your message."
INTERNAL_ERROR = "Something went wrong on my side. Please try again."
NOT_TEXT = "I can read text messages. Send me your question as text."
TOO_SLOW = (
    "The model did not answer within {seconds:g} seconds, so I stopped waiting. Try again in a "
    "minute, or ask a shorter question."
)
STILL_WORKING = "⏳ Still working on it… /cancel stops it."
STILL_WORKING_SECONDS = 5.0
"""Without a word from the model for this long, the user sees `STILL_WORKING`."""
NOTHING_TO_CANCEL = "Nothing of yours is running here, so there is nothing to stop."
HEARD_CHARS = 200
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!<>|~{}])")


@dataclass(frozen=True, slots=True)
class Heard:
    """A question that was spoken: what was understood, in which language."""

    text: str
    language: str | None
    show: bool = True  # quote it above the answer

    def quote(self) -> str:
        """A short Markdown quote of the transcript, then a blank line."""
        short = self.text if len(self.text) <= HEARD_CHARS else self.text[: HEARD_CHARS - 1] + "…"
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", short)
        return f"> 🎤 {escaped}\n\n"


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer that was sent: its text, and the transcript if the question was spoken."""

    text: str
    heard: Heard | None


class Speaker(Protocol):
    """Reads an answer aloud in the chat when the chat wants it (`bot.voice.VoiceReplies`)."""

    async def speak(self, update: Update, context: Context, answered: Answered) -> None: ...


def chat_ref(update: Update) -> ChatRef:
    chat = update.effective_chat
    assert chat is not None  # every handler's update is in a chat: `bot.buttons` sees to presses
    return chat_of(chat)


def user_ref(update: Update) -> UserRef:
    """Who asks (`core.incoming.asker`): the person, or the chat a message was sent as."""
    incoming = incoming_of(update)
    who = asker(incoming) if incoming is not None else None
    assert who is not None  # `bot.incoming.check_sender` stops such messages first
    return who


def command_argument(message: Message) -> str:
    """The text after `/command` (and `@botname`), with its own line breaks kept."""
    text = message.text or ""
    return re.sub(r"^/\S+\s?", "", text, count=1).strip()


class Handlers:
    def __init__(
        self,
        settings: Settings,
        assistant: Assistant,
        speaker: Speaker | None = None,
        feedback: Feedback | None = None,
        *,
        running: RunningWork | None = None,
    ) -> None:
        """`speaker` None: this server never answers aloud; `feedback` None: answers carry no
        rating buttons; `running`: the chats' work that /cancel stops."""
        self._settings = settings
        self._assistant = assistant
        self._speaker = speaker
        self._feedback = feedback
        self.running = running or RunningWork()
        """The chats' work that /cancel and a shutdown stop."""

    def already_answered(self, update: Update) -> bool:
        """Was this update's message answered before (delivered again after a restart)?"""
        message = update.effective_message
        return message is not None and self._assistant.already_answered(
            chat_ref(update), message.message_id
        )

    async def start(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        user = update.effective_user
        name = f", {user.first_name}" if user is not None and user.first_name else ""
        self._assistant.remember(chat_ref(update), user_ref(update) if user else None)
        await message.reply_text(GREETING.format(name=name))

    async def help(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(help_text())

    async def reset(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        self._assistant.reset(chat_ref(update))
        await update.effective_message.reply_text("Done: a new conversation starts now.")

    async def system(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        chat = chat_ref(update)
        argument = command_argument(message)
        if not argument:
            own = self._assistant.has_own_system_prompt(chat)
            label = "This chat's own system prompt" if own else "The default system prompt"
            shown = (
                f"<b>{label}:</b>\n<blockquote>{html.escape(self._assistant.system_prompt(chat))}"
                "</blockquote>\nChange it with /system &lt;text&gt;; /system reset restores the "
                "default."
            )
            for part in split_html(shown):  # a long prompt takes more than one message
                await message.reply_text(part, parse_mode=ParseMode.HTML)
        elif argument.lower() == "reset":
            self._assistant.set_system_prompt(chat, None)
            await message.reply_text("The default system prompt is back.")
        else:
            self._assistant.set_system_prompt(chat, argument)
            await message.reply_text("Saved: this chat has its own system prompt now.")

    async def cancel(self, update: Update, context: Context) -> None:
        """/cancel: stop the user's running work in this chat; its handler then says so."""
        message = update.effective_message
        assert message is not None
        user = update.effective_user
        if user is None or not self.running.cancel(chat_ref(update).id, user.id):
            await message.reply_text(NOTHING_TO_CANCEL)

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

    async def unknown_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        command = message.text.split()[0].split("@")[0]
        if not self._addressed_to_me(message, context.bot.username):
            return
        await message.reply_text(f"I don't know {command}. /help lists what I can do.")

    async def not_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        if message.chat.type == ChatType.PRIVATE:
            await message.reply_text(NOT_TEXT)

    async def text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        username = context.bot.username
        if not self._addressed_to_me(message, username):
            return
        question = message.text.replace(f"@{username}", "").strip() or message.text
        await self.reply(update, context, question)

    async def reply(
        self,
        update: Update,
        context: Context,
        question: str,
        *,
        heard: Heard | None = None,
        photo: PhotoQuestion | None = None,
    ) -> None:
        """Answer `question` in text, then aloud when the chat wants it: the one path for
        typed questions, spoken ones (`heard`), questions asked in a file's caption and
        photos the model looks at (`photo`)."""
        answered = await self.answer(update, context, question, heard=heard, photo=photo)
        if answered is not None and self._speaker is not None:
            await self._speaker.speak(update, context, answered)

    async def answer(
        self,
        update: Update,
        context: Context,
        question: str,
        *,
        heard: Heard | None = None,
        photo: PhotoQuestion | None = None,
    ) -> Answered | None:
        """Answer `question` in text in the update's chat; what was answered, or None when
        nothing was (already answered, or the model failed: the user was told).

        `heard` says the question was spoken (its transcript); when `heard.show` is set, a short
        quote of it stands above the answer.
        """
        message = update.effective_message
        assert message is not None
        return await self.answer_message(
            context.bot,
            chat_ref(update),
            user_ref(update),
            message.message_id,
            question,
            heard=heard,
            photo=photo,
            log_id=f"update {update.update_id}",
        )

    async def answer_message(
        self,
        bot: Bot,
        chat: ChatRef,
        user: UserRef,
        message_id: int,
        question: str,
        *,
        heard: Heard | None = None,
        photo: PhotoQuestion | None = None,
        log_id: str,
    ) -> Answered | None:
        """`answer` for the message `message_id` of `chat`, also with no update at hand (a
        question recovered on start); `log_id` names it in the log."""
        turn = self._assistant.begin_turn(
            chat,
            user,
            question,
            message_id,
            picture=photo.picture if photo is not None else None,
            grounded=photo is None or bool(photo.caption),
        )
        if turn is None:
            log.info("%s: already answered, skipped", log_id)
            return None
        writer = ReplyWriter(
            bot,
            chat.id,
            private=chat.is_private,
            interval=(
                self._settings.stream_interval_private
                if chat.is_private
                else self._settings.stream_interval_group
            ),
            reply_to=message_id,
            on_sent=turn.shown,
        )
        above = heard.quote() if heard is not None and heard.show else ""
        deadline = self._settings.answer_timeout
        patience = min(STILL_WORKING_SECONDS, deadline / 3)
        async with (
            chat_action(bot, chat.id),
            still_working(writer, lambda: bool(turn.text), patience, STILL_WORKING),
        ):
            try:
                async with asyncio.timeout(deadline):
                    async for _ in turn.stream():
                        await writer.preview(above + turn.text)
            except TimeoutError:
                log.warning("%s: no answer within %g s", log_id, deadline)
                await writer.fail(TOO_SLOW.format(seconds=deadline))
                turn.fail()
                return None
            except ModelError as error:
                log.warning("%s: model error: %r", log_id, error.__cause__ or error)
                await writer.fail(str(error))
                turn.fail()
                return None
            except asyncio.CancelledError:  # /cancel or shutdown: the stopper says so
                await writer.discard()
                raise
        if not turn.text.strip():
            await writer.fail(EMPTY_ANSWER)
            turn.fail()
            return None
        rateable = self._feedback is not None and self._feedback.offered(chat)
        buttons = rating_buttons(None) if rateable else None
        turn.finish(await writer.finish(above + turn.display_text, buttons=buttons))
        return Answered(turn.text, heard)

    def note_arrival(self, update: Update) -> None:
        """Store a question the moment its update arrives, before it waits for its chat's
        turn: a crash meanwhile leaves it for the recovery on start (`core.recovery`)."""
        message = update.message
        chat, user = update.effective_chat, update.effective_user
        if message is None or message.text is None or chat is None or user is None:
            return
        if message.text.startswith("/") or not self._assistant.access.allows(user.id, chat.id):
            return
        username = update.get_bot().username
        if not self._addressed_to_me(message, username):
            return
        question = message.text.replace(f"@{username}", "").strip() or message.text
        self._assistant.receive(chat_ref(update), user_ref(update), question, message.message_id)

    def not_a_question(self, update: Update) -> None:
        """The update's text was taken for something else (text to learn): forget it was
        stored as a question on arrival."""
        message = update.effective_message
        if message is not None:
            self._assistant.discard(chat_ref(update), message.message_id)

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

    def addressed_to_me(self, message: Message, username: str) -> bool:
        """Whether the bot should answer `message` (text or caption) at all."""
        return self._addressed_to_me(message, username)

    @staticmethod
    def _addressed_to_me(message: Message, username: str) -> bool:
        """In groups the bot answers only when mentioned or replied to; in private, always."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        text = message.text or message.caption or ""
        if f"@{username}".lower() in text.lower():
            return True
        replied = message.reply_to_message
        return bool(replied and replied.from_user and replied.from_user.username == username)


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
