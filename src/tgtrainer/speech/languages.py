"""The languages the speech-to-text models know, as Whisper's codes.

faster-whisper's list (`faster_whisper.tokenizer._LANGUAGE_CODES`), written out so that checking a
code never imports faster-whisper (a test keeps the two equal). OpenAI's transcription runs the
same Whisper model and takes the same ISO-639-1 codes.
"""

from __future__ import annotations

_CODES = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu "
    "ha haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml "
    "mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw "
    "ta te tg th tk tl tr tt uk ur uz vi yi yo zh yue"
)
SPEECH_LANGUAGES: tuple[str, ...] = tuple(_CODES.split())
_KNOWN = frozenset(SPEECH_LANGUAGES)


def is_speech_language(code: str) -> bool:
    """Whether the speech models can listen for `code` (lower case, like "en" or "haw")."""
    return code in _KNOWN
