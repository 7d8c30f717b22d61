"""Feedback on answers: who may rate which answer, and what a reply means.

The rules, all of them here:
- Answers carry 👍 / 👎 in private chats, and in groups when `GROUP_FEEDBACK=true` (`offered`).
- An answer is rated in its own chat only: the button must sit on an answer of the bot in the
  chat the press came from, and in a private chat only its owner may press (a forged press from
  someone else, or for another chat's answer, is refused). In a group, anyone there may rate;
  the last press counts.
- Pressing the current rating again takes it back; pressing the other one changes it.
- The first 👎 on an answer asks, once, for the better answer. A reply to that question is the
  correction; so is a reply to the answer itself while it is rated 👎 and not yet corrected.
  Any other reply is an ordinary message.
- `/correct <text>` corrects the answer it replies to, else the chat's last answer.
- A correction replaces the answer in the datasets and counts as 👎 on the original.

No Telegram here: chats and users come as `ChatRef`/`UserRef`, Telegram message ids as ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.storage.feedback import AnswerLogStore, RatedAnswer

GOOD: Final = 1
BAD: Final = -1
Rating = Literal[1, -1]


class FeedbackError(UserFacingError):
    """A rating or a correction that is not allowed or has nothing to apply to."""


class NotYourAnswerError(FeedbackError):
    user_message = "You can rate and correct only the answers in your own chat."


class NotRateableError(FeedbackError):
    user_message = "This answer can no longer be rated."


class FeedbackOffError(FeedbackError):
    user_message = "Feedback is turned off in groups (GROUP_FEEDBACK)."


class NothingToCorrectError(FeedbackError):
    user_message = "There is no answer of mine here to correct yet."


class EmptyCorrectionError(FeedbackError):
    user_message = "Write the better answer after the command: /correct <better answer>."


@dataclass(frozen=True, slots=True)
class Rated:
    """Where an answer's rating stands after a press."""

    answer_id: int
    rating: int | None  # GOOD, BAD or None (taken back)
    ask_for_correction: bool  # ask for the better answer now (the first 👎)


@dataclass(frozen=True, slots=True)
class Corrected:
    """An answer that got its better answer."""

    answer_id: int
    button_message_id: int | None  # where its buttons are, to show the new state
    rating: int | None


class Feedback:
    def __init__(self, log: AnswerLogStore, *, group_feedback: bool) -> None:
        self._log = log
        self._group_feedback = group_feedback

    def offered(self, chat: ChatRef) -> bool:
        """Do answers in this chat carry the rating buttons?"""
        return chat.is_private or self._group_feedback

    def rate(self, chat: ChatRef, user: UserRef, button_message_id: int, rating: Rating) -> Rated:
        """`user` pressed `rating` on the buttons of Telegram message `button_message_id`.

        Raises `NotYourAnswerError`, `FeedbackOffError`, `NotRateableError` (see the rules)."""
        self._check(chat, user)
        answer = self._log.by_button(chat.id, button_message_id)
        if answer is None:
            raise NotRateableError(f"chat {chat.id}: no answer on message {button_message_id}")
        new = None if answer.rating == rating else rating
        self._log.rate(answer.message_id, new, user.id)
        first_bad = new == BAD and answer.asked_message_id is None and answer.correction is None
        return Rated(answer.message_id, new, first_bad)

    def asked(self, answer_id: int, telegram_message_id: int) -> None:
        """The bot asked for the better answer in message `telegram_message_id`."""
        self._log.set_asked(answer_id, telegram_message_id)

    def correction_in_reply(
        self, chat: ChatRef, user: UserRef, text: str, reply_to: int | None
    ) -> Corrected | None:
        """Is this message, a reply to Telegram message `reply_to`, a correction? Stored if so;
        None if it is an ordinary message."""
        if reply_to is None or not text.strip() or not self._allowed(chat, user):
            return None
        answer = self._log.by_asked(chat.id, reply_to)
        if answer is None:
            shown = self._log.by_part(chat.id, reply_to)
            if shown is not None and shown.rating == BAD and shown.correction is None:
                answer = shown
        return None if answer is None else self._correct(answer, user, text)

    def correct(self, chat: ChatRef, user: UserRef, text: str, reply_to: int | None) -> Corrected:
        """`/correct text`: the answer `reply_to` shows, else the chat's last answer.

        Raises `EmptyCorrectionError`, `NothingToCorrectError` and the errors of `rate`."""
        self._check(chat, user)
        if not text.strip():
            raise EmptyCorrectionError(f"chat {chat.id}: /correct without text")
        answer = self._log.by_part(chat.id, reply_to) if reply_to is not None else None
        answer = answer or self._log.last(chat.id)
        if answer is None:
            raise NothingToCorrectError(f"chat {chat.id}: no answer to correct")
        return self._correct(answer, user, text)

    def _correct(self, answer: RatedAnswer, user: UserRef, text: str) -> Corrected:
        self._log.correct(answer.message_id, text.strip(), user.id)
        return Corrected(answer.message_id, answer.button_message_id, BAD)

    def _allowed(self, chat: ChatRef, user: UserRef) -> bool:
        return self.offered(chat) and (not chat.is_private or user.id == chat.id)

    def _check(self, chat: ChatRef, user: UserRef) -> None:
        if not self.offered(chat):
            raise FeedbackOffError(f"chat {chat.id}: group feedback is off")
        if chat.is_private and user.id != chat.id:
            raise NotYourAnswerError(f"user {user.id} tried to rate in private chat {chat.id}")
