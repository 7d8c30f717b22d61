"""Taking e-mail addresses and phone numbers out of training text."""

from __future__ import annotations

import re

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# Digits with the separators phone numbers use; what counts is decided by `_is_phone`.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_DIGITS = 9  # fewer are years, prices, codes and dates rather than phone numbers
MIN_DIGITS_INTERNATIONAL = 7
MAX_DIGITS = 15  # E.164


def _is_phone(candidate: str) -> bool:
    digits = sum(character.isdigit() for character in candidate)
    if digits > MAX_DIGITS or _ISO_DATE.match(candidate.strip()):
        return False
    if candidate.startswith("+"):
        return digits >= MIN_DIGITS_INTERNATIONAL
    return digits >= MIN_DIGITS


def redact(text: str) -> str:
    """`text` with every e-mail address replaced by [email] and phone number by [phone]."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    return _PHONE_CANDIDATE.sub(
        lambda match: PHONE_MARK if _is_phone(match.group()) else match.group(), text
    )
