"""The feedback rules: who may rate which answer, what a reply means."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgtrainer.core.feedback import (
    BAD,
    GOOD,
    EmptyCorrectionError,
    Feedback,
    FeedbackOffError,
    NothingToCorrectError,
    NotRateableError,
    NotYourAnswerError,
)
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.feedback import AnswerLogStore, AnswerRecord

ANN, BOB = UserRef(1, "Ann"), UserRef(2, "Bob")
ANN_CHAT, GROUP = ChatRef(1, "private"), ChatRef(-5, "group", "Team")


def answered(database: Database, chat: ChatRef, user: UserRef, number: int) -> int:
    """A question and its answer, shown by Telegram message 100 + number."""
    store = ConversationStore(database)
    store.upsert_chat(chat.id, chat.type, chat.title)
    store.upsert_user(user.id, user.first_name, None, None)
    question = store.record_user_message(chat.id, user.id, f"q{number}", number)
    answer = store.record_reply(chat.id, question.id, f"a{number}", [100 + number])
    AnswerLogStore(database).record(
        AnswerRecord(
            answer, chat.id, 100 + number, [{"role": "user", "content": f"q{number}"}], "m"
        )
    )
    return answer


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "db.sqlite3")


def test_press_changes_and_takes_back_and_asks_once(database: Database) -> None:
    feedback = Feedback(AnswerLogStore(database), group_feedback=False)
    answered(database, ANN_CHAT, ANN, 1)
    assert feedback.rate(ANN_CHAT, ANN, 101, GOOD).rating == GOOD
    first_bad = feedback.rate(ANN_CHAT, ANN, 101, BAD)
    assert (first_bad.rating, first_bad.ask_for_correction) == (BAD, True)
    feedback.asked(first_bad.answer_id, 900)
    assert feedback.rate(ANN_CHAT, ANN, 101, BAD).rating is None
    assert feedback.rate(ANN_CHAT, ANN, 101, BAD).ask_for_correction is False


def test_only_the_owner_rates_in_a_private_chat_and_only_answers(database: Database) -> None:
    feedback = Feedback(AnswerLogStore(database), group_feedback=False)
    answered(database, ANN_CHAT, ANN, 1)
    with pytest.raises(NotYourAnswerError):
        feedback.rate(ANN_CHAT, BOB, 101, GOOD)
    with pytest.raises(NotRateableError):
        feedback.rate(ANN_CHAT, ANN, 1, GOOD)  # the question, not an answer
    with pytest.raises(NotYourAnswerError):
        feedback.correct(ANN_CHAT, BOB, "forged", None)
    # Bob's own chat holds no answer on message 101: Ann's answer is out of his reach.
    with pytest.raises(NotRateableError):
        feedback.rate(ChatRef(2, "private"), BOB, 101, GOOD)


def test_groups_rate_only_with_group_feedback(database: Database) -> None:
    answered(database, GROUP, ANN, 1)
    with pytest.raises(FeedbackOffError):
        Feedback(AnswerLogStore(database), group_feedback=False).rate(GROUP, ANN, 101, GOOD)
    on = Feedback(AnswerLogStore(database), group_feedback=True)
    assert on.offered(GROUP)
    on.rate(GROUP, ANN, 101, GOOD)
    assert on.rate(GROUP, BOB, 101, BAD).rating == BAD  # anyone there; the last press counts


def test_what_a_reply_means(database: Database) -> None:
    feedback = Feedback(AnswerLogStore(database), group_feedback=False)
    first = answered(database, ANN_CHAT, ANN, 1)
    answered(database, ANN_CHAT, ANN, 2)
    assert feedback.correction_in_reply(ANN_CHAT, ANN, "more", 102) is None  # not rated bad
    feedback.rate(ANN_CHAT, ANN, 102, BAD)
    assert feedback.correction_in_reply(ANN_CHAT, BOB, "x", 102) is None  # not Bob's chat
    corrected = feedback.correction_in_reply(ANN_CHAT, ANN, "better two", 102)
    assert corrected is not None and corrected.button_message_id == 102
    assert feedback.correction_in_reply(ANN_CHAT, ANN, "again", 102) is None  # corrected already
    rated = feedback.rate(ANN_CHAT, ANN, 101, BAD)
    feedback.asked(rated.answer_id, 900)
    reply = feedback.correction_in_reply(ANN_CHAT, ANN, "better one", 900)
    assert reply is not None and reply.answer_id == first


def test_correct_takes_the_replied_answer_or_the_last(database: Database) -> None:
    feedback = Feedback(AnswerLogStore(database), group_feedback=False)
    with pytest.raises(NothingToCorrectError):
        feedback.correct(ANN_CHAT, ANN, "x", None)
    first = answered(database, ANN_CHAT, ANN, 1)
    last = answered(database, ANN_CHAT, ANN, 2)
    with pytest.raises(EmptyCorrectionError):
        feedback.correct(ANN_CHAT, ANN, " ", None)
    assert feedback.correct(ANN_CHAT, ANN, "better", None).answer_id == last
    assert feedback.correct(ANN_CHAT, ANN, "better", 101).answer_id == first
    assert AnswerLogStore(database).get(first) is not None
    stored = AnswerLogStore(database).get(first)
    assert stored is not None and (stored.rating, stored.correction) == (BAD, "better")
