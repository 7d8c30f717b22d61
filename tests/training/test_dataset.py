"""Building datasets from the dialogue log: selection, corrections, redaction, dedup, checks,
split and summary."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tgtrainer.storage.dialogue import LoggedTurn
from tgtrainer.training.checks import chat_example_errors, preference_example_errors
from tgtrainer.training.dataset import BuildOptions, build, split, summary
from tgtrainer.training.redaction import redact

SYSTEM = {"role": "system", "content": "Be brief."}


def turn(
    question: str, answer: str, *, rating: int | None = None, correction: str | None = None
) -> LoggedTurn:
    return LoggedTurn(
        chat_id=1,
        chat_type="private",
        chat_title=None,
        conversation=1,
        user_id=1,
        question=question,
        asked_at=0.0,
        answer=answer,
        answered_at=1.0,
        answer_id=1,
        prompt=[SYSTEM, {"role": "user", "content": question}],
        model="m",
        adapter=None,
        sources=[],
        rating=rating,
        rated_at=None,
        correction=correction,
        corrected_at=None,
    )


def test_only_good_or_corrected_answers_by_default_and_never_uncorrected_bad_ones() -> None:
    turns = [
        turn("a?", "A.", rating=1),
        turn("b?", "B.", rating=-1, correction="Better B."),
        turn("c?", "C."),
        turn("d?", "D.", rating=-1),
    ]
    built = build(turns, BuildOptions())
    assert [e["messages"][-1]["content"] for e in built.train] == ["A.", "Better B."]
    assert built.preference == [
        {
            "input": {"messages": [SYSTEM, {"role": "user", "content": "b?"}]},
            "preferred_output": [{"role": "assistant", "content": "Better B."}],
            "non_preferred_output": [{"role": "assistant", "content": "B."}],
        }
    ]
    every = build(turns, BuildOptions(every_answer=True))
    assert [e["messages"][-1]["content"] for e in every.train] == ["A.", "Better B.", "C."]


def test_answers_without_a_recorded_prompt_are_counted_not_used() -> None:
    built = build([replace(turn("a?", "A.", rating=1), prompt=None)], BuildOptions())
    assert built.train == [] and built.no_prompt == 1


def test_duplicates_differing_in_case_and_spacing_are_dropped() -> None:
    built = build(
        [turn("Hi  there?", "Yes.", rating=1), turn("hi there?", "yes.", rating=1)], BuildOptions()
    )
    assert len(built.train) == 1 and built.duplicates == 1


def test_redaction_hides_addresses_and_phone_numbers_but_not_dates_or_codes() -> None:
    assert redact("write to ann.lee+x@mail.example.co.uk") == "write to [email]"
    assert redact("call +1 (555) 123-4567 or 030 1234 5678.") == "call [phone] or [phone]."
    kept = "On 2024-01-05 code 1987 cost 1,250,000 and pi is 3.14159."
    assert redact(kept) == kept
    built = build(
        [turn("Mail ann@example.org?", "Call +49 30 901820", rating=1)], BuildOptions(redact=True)
    )
    assert [m["content"] for m in built.train[0]["messages"][1:]] == [
        "Mail [email]?",
        "Call [phone]",
    ]


@pytest.mark.parametrize(
    ("example", "error"),
    [
        ("not a dict", "data_type"),
        ({"messages": []}, "missing_messages_list"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "example_missing_assistant_message"),
        (
            {
                "messages": [
                    {"role": "robot", "content": "x"},
                    {"role": "assistant", "content": "y"},
                ]
            },
            "unrecognized_role",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "  "},
                    {"role": "assistant", "content": "y"},
                ]
            },
            "missing_content",
        ),
        (
            {"messages": [{"role": "user"}, {"role": "assistant", "content": "y"}]},
            "message_missing_key",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "x", "mood": "ok"},
                    {"role": "assistant", "content": "y"},
                ]
            },
            "message_unrecognized_key",
        ),
        (
            {"messages": [{"role": "assistant", "content": "y"}], "metadata": {}},
            "unrecognized_key:metadata",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "x" * 300},
                    {"role": "assistant", "content": "y"},
                ]
            },
            "too_many_tokens",
        ),
    ],
)
def test_the_chat_format_checks(example: Any, error: str) -> None:
    assert error in chat_example_errors(example, max_tokens=100)


def test_a_good_chat_example_passes() -> None:
    assert (
        chat_example_errors({"messages": [SYSTEM, {"role": "assistant", "content": "y"}]}, 100)
        == []
    )


def test_the_preference_format_checks() -> None:
    good = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "a"}],
        "non_preferred_output": [{"role": "assistant", "content": "b"}],
    }
    assert preference_example_errors(good, 100) == []
    assert "output_not_one_message" in preference_example_errors(
        {**good, "preferred_output": []}, 100
    )
    assert "output_not_assistant" in preference_example_errors(
        {**good, "non_preferred_output": [{"role": "user", "content": "b"}]}, 100
    )
    assert "input_not_ending_with_user" in preference_example_errors(
        {**good, "input": {"messages": [{"role": "assistant", "content": "q"}]}}, 100
    )
    assert "too_many_tokens" in preference_example_errors(good, 5)


def test_examples_over_the_token_limit_are_rejected_and_counted() -> None:
    built = build([turn("q?", "x" * 600, rating=1)], BuildOptions(max_tokens=100))
    assert built.train == [] and built.rejected == {"too_many_tokens": 1}


def test_the_split_is_deterministic_and_independent_of_order() -> None:
    examples = [{"messages": [{"role": "user", "content": f"q{i}"}]} for i in range(200)]
    train, validation = split(examples, 0.1)
    assert 5 <= len(validation) <= 40 and len(train) + len(validation) == 200
    _, again_validation = split(list(reversed(examples)), 0.1)
    assert sorted(map(str, again_validation)) == sorted(map(str, validation))
    assert split(examples[:2], 0.1)[1] != []  # at least one to validate on
    assert split(examples, 0.0) == (examples, [])


def test_the_summary_counts_tokens_and_prices_one_epoch() -> None:
    built = build([turn("q?", "answer", rating=1)], BuildOptions())
    lines = summary(built, 2.0, count=lambda text: 10)
    # 3 per example + (3 + 10) per message, three messages
    assert lines[0] == "training examples: 1 (42 tokens, estimated)"
    assert lines[-1] == "estimated cost of one epoch: 0.0001 at 2.0 per million tokens"
