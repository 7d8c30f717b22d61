"""Answers read aloud: after a text answer, a voice note when the chat's voice mode asks for it
(core decides), sent with sendVoice, or as an audio file when the user's privacy settings forbid
voice messages. Also the notice shown while a speech model loads on first use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Message, ReplyParameters, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from tgtrainer.bot.refs import Answered, chat_ref
from tgtrainer.bot.typing_indicator import chat_action
from tgtrainer.core.voice import Voice
from tgtrainer.speech.audio import VoiceNote
from tgtrainer.speech.errors import SpeechError

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")

VOICE_FILE_NAME = "answer.ogg"
LOADING = "Loading the speech model, one moment…"
LOADING_NOTICE_AFTER = 1.0  # seconds


async def with_loading_notice(
    message: Message, work: Awaitable[T], still_loading: Callable[[], bool]
) -> T:
    """`work`'s result. When it is not done after a second and `still_loading()` says a model
    is still loading, one message says so in the chat; it is deleted once `work` is done."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=LOADING_NOTICE_AFTER)
        if done or not still_loading():
            return await task
        notice: Message | None = None
        try:
            notice = await message.reply_text(LOADING)
        except TelegramError as error:
            log.warning("chat %s: loading notice not sent: %s", message.chat_id, error)
        try:
            return await task
        finally:
            if notice is not None:
                with contextlib.suppress(TelegramError):
                    await notice.delete()
    finally:
        task.cancel()  # only if the handler itself was cancelled: done tasks ignore it


class VoiceReplies:
    """Speaks answers in the chat: `bot.handlers.Handlers` calls `speak` after each answer."""

    def __init__(self, voice: Voice) -> None:
        self._voice = voice

    async def speak(self, update: Update, context: Context, answered: Answered) -> None:
        """Read the answer aloud when the chat's voice mode asks for it."""
        chat = chat_ref(update)
        spoken = answered.heard is not None
        if not self._voice.wants_voice_reply(chat, spoken=spoken):
            return
        message = update.effective_message
        async with chat_action(context.bot, chat.id, ChatAction.RECORD_VOICE):
            reading = self._voice.voice_reply(
                chat, answered.text, heard=answered.heard.language if answered.heard else None
            )
            try:
                note = (
                    await reading
                    if message is None
                    else await with_loading_notice(
                        message,
                        reading,
                        lambda: self._voice.still_loading(chat, spoken=spoken),
                    )
                )
            except SpeechError as error:  # the text answer is there: the voice is a bonus
                log.warning("update %s: no voice answer: %r", update.update_id, error)
                return
        if note is None:
            return
        reply_to = None
        if message is not None and message.chat.type != ChatType.PRIVATE:
            reply_to = ReplyParameters(message.message_id, allow_sending_without_reply=True)
        await self._send_voice(context, chat.id, note, reply_to, update.update_id)

    async def _send_voice(
        self,
        context: Context,
        chat_id: int,
        note: VoiceNote,
        reply_to: ReplyParameters | None,
        update_id: int,
    ) -> None:
        """sendVoice; if the user's privacy settings forbid voice messages, sendAudio; if that
        fails too, the text answer stands alone."""
        try:
            await context.bot.send_voice(
                chat_id,
                note.data,
                duration=note.whole_seconds,
                filename=VOICE_FILE_NAME,
                reply_parameters=reply_to,
            )
            return
        except BadRequest as error:
            if "voice_messages_forbidden" not in error.message.lower():
                log.warning("update %s: voice answer refused: %s", update_id, error.message)
                return
            log.info("update %s: voice messages forbidden, sending an audio file", update_id)
        except TelegramError as error:
            log.warning("update %s: voice answer not sent: %s", update_id, error)
            return
        try:
            await context.bot.send_audio(
                chat_id,
                note.data,
                duration=note.whole_seconds,
                filename=VOICE_FILE_NAME,
                title="Answer",
                reply_parameters=reply_to,
            )
        except TelegramError as error:
            log.warning("update %s: audio answer not sent either: %s", update_id, error)
