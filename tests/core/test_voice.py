"""Listening and speaking for a chat: limits, silence, languages, when to answer aloud."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fake_speech import ScriptedSpeechToText, ToneTextToSpeech
from tgtrainer.config import Settings
from tgtrainer.core import ChatRef, UserRef
from tgtrainer.core.voice import Voice, language_code, unknown_language
from tgtrainer.speech.audio import Recording
from tgtrainer.speech.base import Transcript
from tgtrainer.speech.errors import AudioDecodeError, AudioTooLongError, SpeechConfigurationError
from tgtrainer.speech.languages import SPEECH_LANGUAGES
from tgtrainer.storage import Database
from tgtrainer.storage.voice_settings import VoiceSettingsStore
from tgtrainer.testing.media import inspect, jfk_recording, silence, to_voice_note

CHAT = ChatRef(7, "private")
USER = UserRef(7, "Ann", language_code="de")


def make_voice(
    tmp_path: Path,
    stt: ScriptedSpeechToText | None,
    tts: ToneTextToSpeech | None,
    **settings: object,
) -> Voice:
    config = Settings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
    return Voice(config, VoiceSettingsStore(Database(config.database_path)), stt, tts)


@pytest.fixture
def stt() -> ScriptedSpeechToText:
    return ScriptedSpeechToText("hello there")


@pytest.fixture
def tts() -> ToneTextToSpeech:
    return ToneTextToSpeech(("en", "ru"))


async def test_speech_is_decoded_and_transcribed_with_the_user_language_as_fallback(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    voice = make_voice(tmp_path, stt, None)
    transcript = await voice.listen(CHAT, USER, to_voice_note(jfk_recording()))
    assert transcript.text == "hello there"
    [(seconds, language, fallback)] = stt.calls
    assert seconds == pytest.approx(11.0, abs=0.1)
    assert (language, fallback) == (None, "de")


async def test_the_chat_language_beats_the_server_language(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    voice = make_voice(tmp_path, stt, None, stt_language="EN")
    assert voice.language(CHAT) == "en"
    voice.set_language(CHAT, "ru")
    await voice.listen(CHAT, None, to_voice_note(jfk_recording()))
    assert stt.calls[-1][1:] == ("ru", "en")


async def test_silence_gives_an_empty_transcript_without_asking_the_model(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    transcript = await make_voice(tmp_path, stt, None).listen(CHAT, USER, silence(3))
    assert transcript.text == "" and stt.calls == []


async def test_damaged_and_too_long_recordings_raise_speech_errors(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    voice = make_voice(tmp_path, stt, None, voice_max_seconds=5)
    with pytest.raises(AudioDecodeError):
        await voice.listen(CHAT, USER, b"\x00garbage" * 50)
    with pytest.raises(AudioTooLongError):
        await voice.listen(CHAT, USER, jfk_recording())
    with pytest.raises(SpeechConfigurationError):
        await make_voice(tmp_path, None, None).listen(CHAT, USER, silence(1))


async def test_reply_modes_decide_when_an_answer_is_spoken(
    tmp_path: Path, tts: ToneTextToSpeech
) -> None:
    voice = make_voice(tmp_path, None, tts)
    assert voice.wants_voice_reply(CHAT, spoken=True)
    assert not voice.wants_voice_reply(CHAT, spoken=False)
    voice.set_reply_mode(CHAT, "always")
    assert voice.wants_voice_reply(CHAT, spoken=False)
    voice.set_reply_mode(CHAT, "off")
    assert not voice.wants_voice_reply(CHAT, spoken=True)
    assert not make_voice(tmp_path / "x", None, None).wants_voice_reply(CHAT, spoken=True)


async def test_the_answer_is_spoken_sentence_by_sentence_up_to_the_cap(
    tmp_path: Path, tts: ToneTextToSpeech
) -> None:
    voice = make_voice(tmp_path, None, tts, tts_max_seconds=3)
    answer = "First one. See `code` at https://example.com [1].\n\n```\nskip()\n```\nThird. Fourth."
    note = await voice.voice_reply(CHAT, answer, heard="ru")
    assert note is not None
    # 1 s a piece and 0.25 s pauses: the third piece crosses the cap, the fourth is never made
    assert [text for text, _ in tts.pieces] == ["First one.", "See code at.", "Third."]
    assert {language for _, language in tts.pieces} == {"ru"}
    assert note.duration == pytest.approx(3.0, abs=0.001)
    assert inspect(note.data)[:4] == ("ogg", "opus", 48_000, 1)


async def test_no_voice_for_the_language_means_no_voice_note(
    tmp_path: Path, tts: ToneTextToSpeech
) -> None:
    voice = make_voice(tmp_path, None, tts)
    voice.set_language(CHAT, "ja")
    assert await voice.voice_reply(CHAT, "Konnichiwa.", heard=None) is None
    assert tts.pieces == []


class LazySpeechToText(ScriptedSpeechToText):
    """Loads on first use, as the local models do."""

    def __init__(self) -> None:
        super().__init__("hello there")
        self.is_loaded = False

    @property
    def loaded(self) -> bool:
        return self.is_loaded

    async def warm_up(self) -> None:
        self.is_loaded = True

    async def transcribe_recording(
        self, recording: Recording, *, language: str | None, fallback: str | None = None
    ) -> Transcript:
        await self.warm_up()
        return await super().transcribe_recording(recording, language=language, fallback=fallback)


class LazyTextToSpeech(ToneTextToSpeech):
    def __init__(self) -> None:
        super().__init__(("en",))
        self.is_loaded = False

    @property
    def loaded(self) -> bool:
        return self.is_loaded

    async def warm_up(self) -> None:
        self.is_loaded = True


async def test_what_a_message_still_needs_loaded_depends_on_the_chat(tmp_path: Path) -> None:
    stt, tts = LazySpeechToText(), LazyTextToSpeech()
    voice = make_voice(tmp_path, stt, tts)
    assert voice.still_loading(CHAT, spoken=True)
    assert not voice.still_loading(CHAT, spoken=False)  # typed, and answered in text only
    voice.set_reply_mode(CHAT, "always")
    assert voice.still_loading(CHAT, spoken=False)  # its answer will be read aloud
    voice.set_reply_mode(CHAT, "spoken")
    await stt.warm_up()
    assert voice.still_loading(CHAT, spoken=True)  # the voice is not loaded yet
    voice.set_reply_mode(CHAT, "off")
    assert not voice.still_loading(CHAT, spoken=True)


async def test_the_first_voice_note_loads_the_voice_for_its_answer(tmp_path: Path) -> None:
    stt, tts = LazySpeechToText(), LazyTextToSpeech()
    voice = make_voice(tmp_path, stt, tts)
    voice.set_reply_mode(CHAT, "off")
    await voice.listen(CHAT, USER, to_voice_note(jfk_recording()))
    assert not tts.loaded  # its answer stays text: no voice needed
    voice.set_reply_mode(CHAT, "spoken")
    await voice.listen(CHAT, USER, to_voice_note(jfk_recording()))
    assert tts.loaded and not voice.still_loading(CHAT, spoken=True)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("en", "en"),
        ("EN-us", "en"),
        ("pt_BR", "pt"),
        ("haw", "haw"),
        ("auto", None),
        ("", None),
        ("e1", None),
        ("zz", None),  # the defect: accepted, saved, then every voice note failed
        ("xyz", None),
    ],
)
def test_language_codes_are_normalised(given: str, code: str | None) -> None:
    assert language_code(given) == code


def test_a_language_the_speech_models_do_not_know_is_never_saved(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    voice = make_voice(tmp_path, stt, None)
    with pytest.raises(ValueError, match="zz"):
        voice.set_language(CHAT, "zz")
    assert voice.settings(CHAT).language is None


async def test_an_unknown_language_saved_before_the_check_is_ignored(
    tmp_path: Path, stt: ScriptedSpeechToText
) -> None:
    """A chat that saved "zz" while the bot accepted it listens again (detecting)."""
    config = Settings(data_dir=tmp_path)
    store = VoiceSettingsStore(Database(config.database_path))
    store.set_language(CHAT.id, "zz")
    voice = Voice(config, store, stt, None)
    assert voice.language(CHAT) is None
    await voice.listen(
        CHAT, UserRef(7, "Ann", language_code="zz-ZZ"), to_voice_note(jfk_recording())
    )
    assert stt.calls[-1][1:] == (None, "en")  # detected, with the usual fallback


def test_the_sentence_for_an_unknown_language_says_how_to_choose() -> None:
    sentence = unknown_language("zz")
    assert sentence.startswith('I cannot listen for "zz": send /language with a language code')
    assert "en, es" in sentence and "yue" in sentence and "/language auto" in sentence
    assert len(unknown_language("q" * 4000)) < 1000


def test_the_speech_languages_are_those_the_installed_faster_whisper_knows() -> None:
    tokenizer = pytest.importorskip("faster_whisper.tokenizer")
    assert tokenizer._LANGUAGE_CODES == SPEECH_LANGUAGES
