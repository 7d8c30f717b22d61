"""Listening and speaking for a chat: which language, whether to answer aloud, the limits.

The bot hands over the bytes of a voice message and gets a `Transcript` (then treats its text as
a typed message); after an answer it asks `wants_voice_reply` whether to read it aloud and
`voice_reply` for the voice note. The speech models load when first needed, not when the bot
starts; `still_loading` tells the bot when to say so. No Telegram here.
"""

from __future__ import annotations

import asyncio
import logging
import re

from tgtrainer.config import Settings
from tgtrainer.core.quotas import Quotas
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.speech.audio import VoiceNote
from tgtrainer.speech.base import SpeechToText, TextToSpeech, Transcript
from tgtrainer.speech.errors import SpeechConfigurationError, SpeechError
from tgtrainer.speech.languages import SPEECH_LANGUAGES, is_speech_language
from tgtrainer.storage.voice_settings import ReplyMode, VoiceSettings, VoiceSettingsStore

log = logging.getLogger(__name__)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def language_code(text: str) -> str | None:
    """ "EN", "en-US", "pt_BR" -> en, en, pt: a language the speech models know; anything else
    (not a code, or a code they do not know, like "zz") -> None."""
    base = text.strip().replace("_", "-").split("-")[0].lower()
    return base if _LANGUAGE_CODE.match(base) and is_speech_language(base) else None


def unknown_language(text: str) -> str:
    """The sentence for a /language choice the speech models do not know: how to choose."""
    shown = text if len(text) <= 20 else text[:19] + "…"
    return (
        f'I cannot listen for "{shown}": send /language with a language code the speech '
        f"model knows ({', '.join(SPEECH_LANGUAGES)}), or /language auto to detect the language "
        "of each voice message."
    )


class Voice:
    """Speech for the assistant. `stt`/`tts` None: that side is switched off on this server."""

    def __init__(
        self,
        settings: Settings,
        store: VoiceSettingsStore,
        stt: SpeechToText | None,
        tts: TextToSpeech | None,
        quotas: Quotas | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._quotas = quotas
        self.stt = stt
        self.tts = tts

    # -- per-chat settings -----------------------------------------------------------------

    def settings(self, chat: ChatRef) -> VoiceSettings:
        return self._store.get(chat.id)

    def set_reply_mode(self, chat: ChatRef, mode: ReplyMode) -> None:
        self._store.set_reply_mode(chat.id, mode)

    def set_language(self, chat: ChatRef, language: str | None) -> None:
        """The language this chat speaks (None: the server's STT_LANGUAGE).

        Raises ValueError for a language the speech models do not know (callers parse the
        user's choice with `language_code` first and tell them `unknown_language`)."""
        if language is not None and language_code(language) != language:
            raise ValueError(f"not a speech language: {language!r}")
        self._store.set_language(chat.id, language)

    def set_show_transcript(self, chat: ChatRef, show: bool) -> None:
        self._store.set_show_transcript(chat.id, show)

    def language(self, chat: ChatRef) -> str | None:
        """The language to listen for in this chat; None means detect it."""
        chosen = self._store.get(chat.id).language
        if chosen is not None and language_code(chosen) == chosen:  # saved before we checked
            return chosen
        configured = self._settings.stt_language.strip().lower()
        return None if configured in ("", "auto") else language_code(configured)

    # -- listening -------------------------------------------------------------------------

    def still_loading(self, chat: ChatRef, *, spoken: bool) -> bool:
        """Whether a model this message needs is not loaded yet: speech-to-text for a spoken one,
        the voice when its answer will be read aloud. Each loads on first use."""
        needed: list[SpeechToText | TextToSpeech | None] = [self.stt] if spoken else []
        if self.wants_voice_reply(chat, spoken=spoken):
            needed.append(self.tts)
        return any(part is not None and not part.loaded for part in needed)

    async def load_voice(self) -> None:
        """Load the voice that reads answers aloud; a failure is logged (the answer stays text)."""
        if self.tts is None:
            return
        try:
            await self.tts.warm_up()
        except SpeechError as error:
            log.warning("the voice could not be loaded: %r", error)

    def admit(self, user: UserRef, seconds: float | None) -> None:
        """Before a recording of `seconds` (as Telegram claims; None: unknown) is downloaded:
        raises `QuotaExceededError` when the user may not be heard now."""
        if self._quotas is not None:
            self._quotas.check_voice(user.id, seconds)

    async def listen(self, chat: ChatRef, user: UserRef | None, data: bytes) -> Transcript:
        """What was said in `data` (any audio or video file, as received). Raises `SpeechError`,
        also for a recording longer than VOICE_MAX_SECONDS once decoded, whatever it claims.

        Silence gives an empty transcript without troubling the model.
        """
        if self.stt is None:
            raise SpeechConfigurationError("no speech-to-text backend")
        fallback = language_code(user.language_code or "") if user is not None else None
        transcribing = self.stt.transcribe(
            data,
            language=self.language(chat),
            fallback=fallback or "en",
            max_seconds=self._settings.voice_max_seconds + 1,  # Telegram says whole seconds
        )
        if self.tts is None or self.tts.loaded or not self.wants_voice_reply(chat, spoken=True):
            transcript = await transcribing
        else:  # the first voice note: the voice for its answer loads while it is transcribed
            transcript, _ = await asyncio.gather(transcribing, self.load_voice())
        if self._quotas is not None and user is not None:
            self._quotas.count_voice(user.id, transcript.duration)
        return transcript

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

    async def aclose(self) -> None:
        for part in (self.stt, self.tts):
            if part is not None:
                await part.aclose()
