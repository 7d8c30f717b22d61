"""Listening and speaking for a chat: which language, whether to answer aloud, the limits.

The bot hands over the bytes of a voice message and gets a `Transcript` (then treats its text as
a typed message); after an answer it asks `voice_reply` for a voice note. No Telegram here.
"""

from __future__ import annotations

import asyncio
import logging
import re

from tgtrainer.config import Settings
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.speech.audio import VoiceNote, decode, is_silent
from tgtrainer.speech.base import SpeechToText, TextToSpeech, Transcript
from tgtrainer.speech.errors import SpeechConfigurationError
from tgtrainer.storage.voice_settings import ReplyMode, VoiceSettings, VoiceSettingsStore

log = logging.getLogger(__name__)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def language_code(text: str) -> str | None:
    """ "EN", "en-US", "pt_BR" -> en, en, pt; anything else -> None."""
    base = text.strip().replace("_", "-").split("-")[0].lower()
    return base if _LANGUAGE_CODE.match(base) else None


class Voice:
    """Speech for the assistant. `stt`/`tts` None: that side is switched off on this server."""

    def __init__(
        self,
        settings: Settings,
        store: VoiceSettingsStore,
        stt: SpeechToText | None,
        tts: TextToSpeech | None,
    ) -> None:
        self._settings = settings
        self._store = store
        self.stt = stt
        self.tts = tts

    # -- per-chat settings -----------------------------------------------------------------

    def settings(self, chat: ChatRef) -> VoiceSettings:
        return self._store.get(chat.id)

    def set_reply_mode(self, chat: ChatRef, mode: ReplyMode) -> None:
        self._store.set_reply_mode(chat.id, mode)

    def set_language(self, chat: ChatRef, language: str | None) -> None:
        """The language this chat speaks (None: the server's STT_LANGUAGE)."""
        self._store.set_language(chat.id, language)

    def set_show_transcript(self, chat: ChatRef, show: bool) -> None:
        self._store.set_show_transcript(chat.id, show)

    def language(self, chat: ChatRef) -> str | None:
        """The language to listen for in this chat; None means detect it."""
        chosen = self._store.get(chat.id).language
        if chosen is not None:
            return chosen
        configured = self._settings.stt_language.strip().lower()
        return None if configured in ("", "auto") else language_code(configured)

    # -- listening -------------------------------------------------------------------------

    async def listen(self, chat: ChatRef, user: UserRef | None, data: bytes) -> Transcript:
        """What was said in `data` (any audio or video file). Raises `SpeechError`.

        Silence gives an empty transcript without troubling the model.
        """
        if self.stt is None:
            raise SpeechConfigurationError("no speech-to-text backend")
        samples = await asyncio.to_thread(
            decode,
            data,
            self.stt.sample_rate,
            max_seconds=self._settings.voice_max_seconds + 1,
        )
        duration = len(samples) / self.stt.sample_rate
        if is_silent(samples):
            return Transcript("", None, duration)
        fallback = language_code(user.language_code or "") if user is not None else None
        return await self.stt.transcribe(
            samples, language=self.language(chat), fallback=fallback or "en"
        )

    # -- speaking --------------------------------------------------------------------------

    def wants_voice_reply(self, chat: ChatRef, *, spoken: bool) -> bool:
        if self.tts is None:
            return False
        mode = self._store.get(chat.id).reply_mode
        return mode == "always" or (mode == "spoken" and spoken)

    async def voice_reply(
        self, chat: ChatRef, answer: str, *, heard: str | None
    ) -> VoiceNote | None:
        """The answer read aloud, or None when there is no voice for its language or nothing
        to say. `heard` is the language the question was spoken in, if it was."""
        if self.tts is None:
            return None
        language = self.language(chat) or heard or "en"
        if not self.tts.speaks(language):
            log.info("chat %s: no voice speaks %s, the answer stays text", chat.id, language)
            return None
        return await self.tts.speak(
            answer, language=language, max_seconds=self._settings.tts_max_seconds
        )

    async def warm_up(self) -> None:
        for part in (self.stt, self.tts):
            if part is not None:
                await part.warm_up()

    async def aclose(self) -> None:
        for part in (self.stt, self.tts):
            if part is not None:
                await part.aclose()
