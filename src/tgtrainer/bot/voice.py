"""Voice in the chat: voice notes, audio files and videos are transcribed and answered like
typed messages (answers read aloud: `bot.voice_reply`); /voice and /language set it up per chat.

Limits are checked on what Telegram tells about a file before anything is downloaded. Files are
held in memory only, and their URLs (which contain the bot token) are never logged.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, FileSizeLimit
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from tgtrainer.bot.buttons import show_in_menu
from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.refs import Heard, chat_ref, command_argument, user_ref
from tgtrainer.bot.typing_indicator import chat_action
from tgtrainer.bot.voice_reply import with_loading_notice
from tgtrainer.config import Settings
from tgtrainer.core.recovery import VOICE, Recovery
from tgtrainer.core.voice import Voice, language_code, unknown_language
from tgtrainer.storage.voice_settings import REPLY_MODES, ReplyMode

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

VOICE_CALLBACK = "voice:"
LANGUAGE_CALLBACK = "lang:"
DOWNLOAD_LIMIT = int(FileSizeLimit.FILESIZE_DOWNLOAD)  # 20 MB through the cloud Bot API
MEDIA = (
    filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.Document.AUDIO
    | filters.Document.VIDEO
) & filters.UpdateType.MESSAGE
"""What the bot listens to; register it before any catch-all for non-text messages."""

NOTHING_HEARD = "I could not hear anything in this recording."
TOO_LONG = (
    "This recording is {duration}, longer than the {limit} I can listen to. Send a shorter one."
)
TOO_BIG = "This file is {size}: I can only download files up to 20 MB. Send a shorter recording."
NOT_LISTENING = "I cannot listen to voice messages on this server; please type your question."
MODE_LABELS: dict[ReplyMode, str] = {
    "off": "Off",
    "spoken": "When spoken to",
    "always": "Always",
}
LANGUAGES = (
    ("auto", "Detect"),
    ("en", "English"),
    ("ru", "Русский"),
    ("uk", "Українська"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("pt", "Português"),
)
OFFERED_LANGUAGES = frozenset(code for code, _ in LANGUAGES)


@dataclass(frozen=True, slots=True)
class Media:
    """The audio-bearing part of a message, as Telegram describes it before any download."""

    file_id: str
    file_size: int | None
    duration: int | None


def media_of(message: Message) -> Media | None:
    attachment = (
        message.voice or message.audio or message.video_note or message.video or message.document
    )
    if attachment is None:
        return None
    return Media(
        attachment.file_id,
        attachment.file_size,
        getattr(attachment, "duration", None),
    )


def _minutes(seconds: float) -> str:
    """601 -> "10 min 1 s", 45 -> "45 s", 600 -> "10 minutes"."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if rest:
        return f"{minutes} min {rest} s"
    return f"{minutes} minute" + ("s" if minutes > 1 else "")


class VoiceHandlers:
    def __init__(
        self,
        settings: Settings,
        handlers: Handlers,
        voice: Voice,
        recovery: Recovery | None = None,
    ) -> None:
        """`recovery` records each recording being heard, for a restart to report."""
        self._settings = settings
        self._handlers = handlers
        self._voice = voice
        self._recovery = recovery

    # -- listening -------------------------------------------------------------------------

    async def media(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        if not self._handlers.addressed_to_me(message, context.bot.username):
            return
        media = media_of(message)
        if media is None:
            return
        limit = self._settings.voice_max_seconds
        if media.duration is not None and media.duration > limit:
            await message.reply_text(
                TOO_LONG.format(duration=_minutes(media.duration), limit=_minutes(limit))
            )
            return
        if media.file_size is not None and media.file_size > DOWNLOAD_LIMIT:
            await message.reply_text(TOO_BIG.format(size=f"{media.file_size / 2**20:.0f} MB"))
            return
        if self._voice.stt is None:
            await message.reply_text(NOT_LISTENING)
            return
        chat, user = chat_ref(update), user_ref(update)
        if self._handlers.already_answered(update):
            log.info("update %s: already answered, not heard again", update.update_id)
            return
        self._voice.admit(user, media.duration)
        hearing = (
            self._recovery.working(chat, VOICE, "voice message", message.message_id)
            if self._recovery is not None
            else contextlib.nullcontext()
        )
        # Until its transcript is stored as the question, a crash would lose the recording.
        with hearing:
            async with chat_action(context.bot, chat.id, ChatAction.RECORD_VOICE):
                try:
                    data = await self._download(context, media)
                    transcript = await with_loading_notice(
                        message,
                        self._voice.listen(chat, user, data),
                        lambda: self._voice.still_loading(chat, spoken=True),
                    )
                except BadRequest as error:
                    log.warning("update %s: cannot download: %s", update.update_id, error.message)
                    await message.reply_text(TOO_BIG.format(size="too big"))
                    return
        log.info(
            "update %s: heard %.1f s (%s), %d characters",
            update.update_id,
            transcript.duration,
            transcript.language or "?",
            len(transcript.text),
        )
        if not transcript.text.strip():
            await message.reply_text(NOTHING_HEARD)
            return
        show = self._voice.settings(chat).show_transcript
        await self._handlers.reply(
            update,
            context,
            transcript.text,
            heard=Heard(transcript.text, transcript.language, show),
        )

    @staticmethod
    async def _download(context: Context, media: Media) -> bytes:
        # The File's URL carries the bot token: it is used here and never logged or kept.
        telegram_file = await context.bot.get_file(media.file_id)
        return bytes(await telegram_file.download_as_bytearray())

    # -- /voice and /language -------------------------------------------------------------------

    async def voice_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        text, markup = self._voice_menu(update)
        await message.reply_text(text, reply_markup=markup)

    async def voice_chosen(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        chat = chat_ref(update)
        choice = query.data.removeprefix(VOICE_CALLBACK)
        if choice in REPLY_MODES:
            mode: ReplyMode = choice
            self._voice.set_reply_mode(chat, mode)
            await query.answer(f"Voice answers: {MODE_LABELS[mode].lower()}")
        elif choice in ("transcript:on", "transcript:off"):
            self._voice.set_show_transcript(chat, choice.endswith(":on"))
            await query.answer("Saved")
        else:
            await query.answer("That choice is no longer offered; send /voice again.")
            return
        text, markup = self._voice_menu(update)
        await show_in_menu(query, text, markup)

    def _voice_menu(self, update: Update) -> tuple[str, InlineKeyboardMarkup]:
        chat = chat_ref(update)
        current = self._voice.settings(chat)
        modes = [
            InlineKeyboardButton(
                ("✓ " if mode == current.reply_mode else "") + MODE_LABELS[mode],
                callback_data=VOICE_CALLBACK + mode,
            )
            for mode in REPLY_MODES
        ]
        show = current.show_transcript
        transcript = InlineKeyboardButton(
            "Show what I heard: " + ("on ✓" if show else "off"),
            callback_data=VOICE_CALLBACK + ("transcript:off" if show else "transcript:on"),
        )
        text = (
            f"Voice answers in this chat: {MODE_LABELS[current.reply_mode].lower()}.\n"
            "Off: always text. When spoken to: a voice note answers a voice message. "
            "Always: every answer also comes as a voice note."
        )
        if self._voice.tts is None:
            text += "\n(This server has voice answers switched off: TTS_BACKEND=off.)"
        return text, InlineKeyboardMarkup([modes, [transcript]])

    async def language_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        chat = chat_ref(update)
        argument = command_argument(message)
        if argument:
            chosen = "auto" if argument.lower() == "auto" else language_code(argument)
            if chosen is None:
                await message.reply_text(unknown_language(argument))
                return
            self._voice.set_language(chat, None if chosen == "auto" else chosen)
            await message.reply_text(self._language_line(update))
            return
        await message.reply_text(
            self._language_line(update) + " Pick one (or send /language <code>):",
            reply_markup=self._language_buttons(update),
        )

    async def language_chosen(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        chat = chat_ref(update)
        choice = query.data.removeprefix(LANGUAGE_CALLBACK)
        code = choice if choice in OFFERED_LANGUAGES else None  # the buttons it sent
        if code is None:
            await query.answer("That choice is no longer offered; send /language again.")
            return
        self._voice.set_language(chat, None if code == "auto" else code)
        await query.answer("Saved")
        await show_in_menu(query, self._language_line(update), self._language_buttons(update))

    def _language_line(self, update: Update) -> str:
        language = self._voice.language(chat_ref(update))
        if language is None:
            return "I detect the language of each voice message."
        return f"I listen for {language} in voice messages and answer aloud in it."

    def _language_buttons(self, update: Update) -> InlineKeyboardMarkup:
        current = self._voice.settings(chat_ref(update)).language or "auto"
        buttons = [
            InlineKeyboardButton(
                ("✓ " if code == current else "") + label, callback_data=LANGUAGE_CALLBACK + code
            )
            for code, label in LANGUAGES
        ]
        return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])
