"""Audio conversion: anything in, OGG/Opus 48 kHz mono voice notes out, lengths that add up."""

from __future__ import annotations

import numpy as np
import pytest

from tgtrainer.speech.audio import (
    VOICE_RATE,
    Pcm,
    decode,
    decode_recording,
    encode_ogg_opus,
    encode_voice_note,
    is_silent,
)
from tgtrainer.speech.errors import AudioDecodeError, AudioTooLongError
from tgtrainer.testing.media import inspect, jfk_recording, silence, to_voice_note


def duration(data: bytes) -> float:
    return decode_recording(data, 8_000).duration


def tone(seconds: float, rate: int = 22_050, hertz: float = 440.0) -> Pcm:
    t = np.arange(int(seconds * rate)) / rate
    return Pcm((0.3 * np.sin(2 * np.pi * hertz * t)).astype(np.float32), rate)


def test_flac_decodes_to_mono_samples_at_the_asked_rate() -> None:
    samples = decode(jfk_recording(), 16_000)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) / 16_000 == pytest.approx(11.0, abs=0.05)
    assert not is_silent(samples)


def test_a_voice_note_decodes_as_long_as_the_flac_it_came_from() -> None:
    note = to_voice_note(jfk_recording())
    assert duration(note) == pytest.approx(duration(jfk_recording()), abs=0.05)


def test_encoded_voice_notes_are_ogg_opus_48khz_mono_of_the_right_length() -> None:
    data = encode_ogg_opus(tone(2.5).samples, 22_050)
    container, codec, rate, channels, seconds = inspect(data)
    assert (container, codec, rate, channels) == ("ogg", "opus", VOICE_RATE, 1)
    assert seconds == pytest.approx(2.5, abs=0.03)


def test_pieces_are_joined_with_pauses_and_cut_at_the_cap() -> None:
    note = encode_voice_note([tone(1.0), tone(1.0, 16_000)], max_seconds=30, pause=0.5)
    assert note.duration == pytest.approx(2.5, abs=0.01)
    assert inspect(note.data)[4] == pytest.approx(note.duration, abs=0.03)
    assert note.whole_seconds == 2  # round(2.5) is 2: Python rounds half to even

    capped = encode_voice_note([tone(3.0)] * 4, max_seconds=5)
    assert capped.duration == pytest.approx(5.0, abs=0.001)
    assert inspect(capped.data)[4] == pytest.approx(5.0, abs=0.03)


def test_a_short_note_still_lasts_one_second_for_telegram() -> None:
    assert encode_voice_note([tone(0.2)], max_seconds=10).whole_seconds == 1


def test_silence_is_recognised_as_silence() -> None:
    assert is_silent(decode(silence(2.0), 16_000))
    assert is_silent(np.zeros(0, np.float32))
    assert not is_silent(tone(0.5).samples)


@pytest.mark.parametrize(
    "data",
    [b"", b"not audio at all" * 100, b"OggS" + bytes(range(256)) * 20],
    ids=["empty", "text", "broken-ogg"],
)
def test_damaged_files_raise_a_decode_error_with_a_sentence(data: bytes) -> None:
    with pytest.raises(AudioDecodeError) as raised:
        decode(data, 16_000)
    assert str(raised.value).endswith(".")


def test_a_truncated_voice_note_is_refused_or_decodes_shorter() -> None:
    note = to_voice_note(jfk_recording())
    try:
        seconds = duration(note[: len(note) // 2])
    except AudioDecodeError:
        return
    assert seconds < 11.0


def test_decoding_stops_past_the_limit() -> None:
    with pytest.raises(AudioTooLongError):
        decode(jfk_recording(), 16_000, max_seconds=5)


def test_a_recording_keeps_the_file_as_received_and_names_its_container() -> None:
    note = to_voice_note(jfk_recording())
    recording = decode_recording(note, 16_000)
    assert recording.data == note and recording.container == "ogg"
    assert recording.duration == pytest.approx(11.0, abs=0.05)
    assert decode_recording(jfk_recording(), 16_000).container != "ogg"


def test_long_voice_notes_stay_under_a_megabyte() -> None:
    note = encode_voice_note([tone(300.0, 16_000, 300.0)], max_seconds=600)
    assert note.duration == pytest.approx(300.0, abs=0.01)
    assert len(note.data) < 1_000_000
