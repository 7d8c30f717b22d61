"""The 👍 / 👎 buttons under an answer, showing its current rating."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

RATE_CALLBACK = "rate:"
GOOD_DATA, BAD_DATA = f"{RATE_CALLBACK}up", f"{RATE_CALLBACK}down"
CHOSEN = " ✓"


def rating_buttons(rating: int | None) -> InlineKeyboardMarkup:
    """👍 and 👎, the chosen one marked (`rating`: 1, -1 or None)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "👍" + (CHOSEN if rating == 1 else ""), callback_data=GOOD_DATA
                ),
                InlineKeyboardButton(
                    "👎" + (CHOSEN if rating == -1 else ""), callback_data=BAD_DATA
                ),
            ]
        ]
    )


def pressed_rating(data: str) -> int | None:
    """1 or -1 for the data of a rating button; None for anything else."""
    return {GOOD_DATA: 1, BAD_DATA: -1}.get(data)
