"""Rated and corrected answers written straight into a bot database, for training tests."""

from __future__ import annotations

from pathlib import Path

from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.feedback import AnswerLogStore, AnswerRecord

SYSTEM = "Be brief."


def rated_answers(
    database_path: Path, answers: list[tuple[str, str, int, str | None]], chat_id: int = 42
) -> None:
    """(question, answer, rating, correction or None) for each, in chat `chat_id`."""
    with Database(database_path) as database:
        store, log = ConversationStore(database), AnswerLogStore(database)
        store.upsert_chat(chat_id, "private", None)
        store.upsert_user(chat_id, "Ann", None, None)
        for number, (question, answer, rating, correction) in enumerate(answers, start=1):
            asked = store.record_user_message(chat_id, chat_id, question, number * 10)
            answer_id = store.record_reply(chat_id, asked.id, answer, [number * 10 + 1])
            prompt = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": question},
            ]
            log.record(AnswerRecord(answer_id, chat_id, number * 10 + 1, prompt, "fake-small"))
            log.rate(answer_id, rating, chat_id)
            if correction is not None:
                log.correct(answer_id, correction, chat_id)
