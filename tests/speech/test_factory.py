"""Choosing speech backends from Settings, and the sentences for what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.speech.factory import build_speech_to_text, build_text_to_speech
from tgtrainer.speech.openai_speech import OpenAISpeechToText, OpenAITextToSpeech
from tgtrainer.speech.piper_local import LocalTextToSpeech
from tgtrainer.speech.whisper_local import WhisperSpeechToText


def test_the_defaults_are_local_whisper_base_and_piper(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    stt = build_speech_to_text(settings)
    assert isinstance(stt, WhisperSpeechToText) and stt.name == "base"
    assert isinstance(build_text_to_speech(settings), LocalTextToSpeech)
    assert not (tmp_path / "models").exists()  # nothing is joined before it is needed


def test_off_switches_a_side_off(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, stt_backend="off", tts_backend="off")
    assert build_speech_to_text(settings) is None
    assert build_text_to_speech(settings) is None


def test_openai_backends_need_a_key_or_a_server(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"OPENAI_API_KEY.*STT_BACKEND"):
        build_speech_to_text(Settings(data_dir=tmp_path, stt_backend="openai"))
    with pytest.raises(ConfigurationError, match=r"OPENAI_API_KEY.*TTS_BACKEND"):
        build_text_to_speech(Settings(data_dir=tmp_path, tts_backend="openai"))
    served = Settings(
        data_dir=tmp_path,
        stt_backend="openai",
        tts_backend="openai",
        openai_base_url="http://127.0.0.1:9/v1",
    )
    assert isinstance(build_speech_to_text(served), OpenAISpeechToText)
    assert isinstance(build_text_to_speech(served), OpenAITextToSpeech)


def test_a_model_folder_must_hold_ctranslate2_weights(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"STT_MODEL: .* \(no model.bin\)"):
        build_speech_to_text(Settings(data_dir=tmp_path, stt_model=str(tmp_path)))
    folder = tmp_path / "whisper-small.en"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"weights")
    stt = build_speech_to_text(Settings(data_dir=tmp_path, stt_model=str(folder)))
    assert isinstance(stt, WhisperSpeechToText) and stt.name == "whisper-small.en"


def test_a_piper_voice_needs_its_json_and_names_its_language(tmp_path: Path) -> None:
    voice = tmp_path / "ru_RU-irina-medium.onnx"
    voice.write_bytes(b"onnx")
    with pytest.raises(ConfigurationError, match="TTS_VOICE"):
        build_text_to_speech(Settings(data_dir=tmp_path, tts_voice=str(voice)))
    Path(f"{voice}.json").write_text("{}")
    tts = build_text_to_speech(Settings(data_dir=tmp_path, tts_voice=str(voice)))
    assert isinstance(tts, LocalTextToSpeech) and tts.piper.speaks("ru")
    assert not tts.piper.speaks("en")


def test_stt_language_is_auto_or_a_language_code() -> None:
    from tgtrainer.config import load_settings

    assert load_settings(stt_language="EN").stt_language == "en"
    assert load_settings(stt_language="auto").stt_language == "auto"
    with pytest.raises(ConfigurationError, match="STT_LANGUAGE: must be auto or a language code"):
        load_settings(stt_language="english")
