"""Speech errors: each one carries a sentence for the user and a detail for the log."""

from __future__ import annotations

from tgtrainer.errors import UserFacingError


class SpeechError(UserFacingError):
    """Speech could not be heard or spoken. `str(error)` is a sentence for the user.

    SpeechError                   "I could not process this audio."
     +-- AudioDecodeError         the file is damaged, not audio, or has no sound track
     |    +-- AudioTooLongError   longer than the limit once decoded (its claimed length lied)
     +-- SpeechUnavailableError   the speech backend did not answer (after retries)
     +-- SpeechConfigurationError the backend refuses as configured, weights missing
     +-- UnsupportedLanguageError no voice speaks this language
    """

    user_message = "I could not process this audio."


class AudioDecodeError(SpeechError):
    user_message = (
        "I could not read this file: it seems damaged, or it is not a sound format I know."
    )


class SpeechUnavailableError(SpeechError):
    user_message = "Speech recognition is not working right now, try again in a minute."


class SpeechConfigurationError(SpeechError):
    user_message = "Speech is not set up correctly on this server (see its log)."


class UnsupportedLanguageError(SpeechError):
    user_message = "I have no voice for this language."


class AudioTooLongError(AudioDecodeError):
    user_message = "This recording is too long for me."
