"""Fitting the conversation into the model's context window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tgtrainer.core.context import QUESTION_SHARE, fit_to_context
from tgtrainer.llm import ChatMessage


def words(text: str) -> int:
    return len(text.split()) + 1


def test_everything_is_kept_when_it_fits() -> None:
    history = [
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "hello"),
        ChatMessage("user", "q"),
    ]
    prompt = fit_to_context("be nice", history, words, budget=1000)
    assert prompt == [ChatMessage("system", "be nice"), *history]


def test_the_oldest_turns_are_dropped_first() -> None:
    history = [
        ChatMessage("user", "one " * 50),
        ChatMessage("assistant", "two " * 50),
        ChatMessage("user", "three"),
        ChatMessage("assistant", "four"),
        ChatMessage("user", "five"),
    ]
    prompt = fit_to_context("sys", history, words, budget=40)
    assert [m.content for m in prompt[1:]] == ["three", "four", "five"]


def test_the_history_never_starts_with_an_orphan_answer() -> None:
    history = [
        ChatMessage("user", "one " * 50),
        ChatMessage("assistant", "two"),
        ChatMessage("user", "three"),
    ]
    prompt = fit_to_context("sys", history, words, budget=30)
    assert [m.role for m in prompt] == ["system", "user"]


def test_a_message_too_long_alone_is_cut_to_fit() -> None:
    history = [ChatMessage("user", "word " * 1000)]
    prompt = fit_to_context("sys", history, words, budget=100)
    assert prompt[1].content.endswith("[...]")
    assert sum(words(m.content) + 4 for m in prompt) <= 100


@given(
    st.lists(st.text(max_size=300), min_size=1, max_size=30),
    st.integers(min_value=20, max_value=2000),
)
def test_the_prompt_never_exceeds_the_budget(texts: list[str], budget: int) -> None:
    def chars(text: str) -> int:
        return len(text) // 4 + 1

    history = [ChatMessage("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)]
    prompt = fit_to_context("system prompt", history, chars, budget)
    assert sum(chars(m.content) + 4 for m in prompt) <= budget
    assert prompt[-1].content.startswith(history[-1].content[:1]) or history[-1].content == ""


def test_a_long_system_prompt_is_cut_before_the_question() -> None:
    """The defect: an 11,000-character system prompt left only "[...]" of the question."""
    question = ChatMessage("user", "What is the capital of France? " * 3)
    prompt = fit_to_context("rule " * 11_000, [question], words, budget=500)
    assert prompt[-1] == question
    assert prompt[0].content.startswith("rule rule")
    assert prompt[0].content.endswith("[...]")
    assert sum(words(m.content) + 4 for m in prompt) <= 500


def test_older_turns_go_before_the_system_prompt_is_cut() -> None:
    history = [
        ChatMessage("user", "old " * 100),
        ChatMessage("assistant", "answer " * 100),
        ChatMessage("user", "new question"),
    ]
    prompt = fit_to_context("rule " * 150, history, words, budget=200)
    assert [m.content for m in prompt[1:]] == ["new question"]
    assert prompt[0].content == "rule " * 150


def test_a_question_longer_than_its_share_is_cut_and_the_system_prompt_keeps_the_rest() -> None:
    prompt = fit_to_context("rule " * 1000, [ChatMessage("user", "word " * 1000)], words, 400)
    assert prompt[1].content.startswith("word word") and prompt[1].content.endswith("[...]")
    assert words(prompt[0].content) >= 400 * (1 - QUESTION_SHARE) - 8
    assert sum(words(m.content) + 4 for m in prompt) <= 400


@given(
    st.text(max_size=3000),
    st.text(max_size=400),
    st.integers(min_value=60, max_value=2000),
)
def test_the_question_survives_any_system_prompt(system: str, question: str, budget: int) -> None:
    """Whatever the system prompt, a question within its share of the budget is kept whole."""

    def chars(text: str) -> int:
        return len(text) // 4 + 1

    prompt = fit_to_context(system, [ChatMessage("user", question)], chars, budget)
    assert sum(chars(m.content) + 4 for m in prompt) <= budget
    if chars(question) + 4 <= budget * QUESTION_SHARE - 8:
        assert prompt[-1].content == question
