"""Per-chat voice settings: when to answer with a voice note, which language is spoken, and
whether to show what was heard. A chat without a row has the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from tgtrainer.storage.database import Database, set_chat_column

ReplyMode = Literal["off", "spoken", "always"]
REPLY_MODES: tuple[ReplyMode, ...] = get_args(ReplyMode)


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    reply_mode: ReplyMode = "spoken"  # "spoken": a voice answer to a voice message
    language: str | None = None  # None: the server's STT_LANGUAGE
    show_transcript: bool = True


class VoiceSettingsStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def get(self, chat_id: int) -> VoiceSettings:
        row = self._db.execute(
            "SELECT reply_mode, language, show_transcript FROM voice_settings WHERE chat_id = ?",
            (chat_id,),
        ).fetchone()
        if row is None:
            return VoiceSettings()
        return VoiceSettings(row[0], row[1], bool(row[2]))

    def set_reply_mode(self, chat_id: int, mode: ReplyMode) -> None:
        if mode not in REPLY_MODES:
            raise ValueError(f"reply mode must be one of {REPLY_MODES}")
        self._set(chat_id, "reply_mode", mode)

    def set_language(self, chat_id: int, language: str | None) -> None:
        self._set(chat_id, "language", language)

    def set_show_transcript(self, chat_id: int, show: bool) -> None:
        self._set(chat_id, "show_transcript", int(show))

    def _set(
        self,
        chat_id: int,
        column: Literal["reply_mode", "language", "show_transcript"],
        value: str | int | None,
    ) -> None:
        set_chat_column(self._db, "voice_settings", chat_id, column, value)
