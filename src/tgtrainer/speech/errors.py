"""Speech errors: each one carries a sentence for the user and a detail for the log."""

from __future__ import annotations


class SpeechError(Exception):
    """Speech could not be heard or spoken. `str(error)` is a sentence for the user.

    SpeechError                   "I could not process this audio."
     +-- AudioDecodeError         the file is damaged, not audio, or has no sound track
     |    +-- AudioTooLongError   longer than the limit once decoded (its claimed length lied)
     +-- SpeechUnavailableError   the speech backend did not answer (after retries)
     +-- SpeechConfigurationError the backend refuses as configured, weights missing
     +-- UnsupportedLanguageError no voice speaks this language
    """

    user_message = "I could not process this audio."

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        self.user_message = user_message or type(self).user_message
        super().__init__(self.user_message)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({(self.detail or self.user_message)!r})"


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
