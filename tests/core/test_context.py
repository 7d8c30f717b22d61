"""Fitting the conversation into the model's context window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tgtrainer.core.context import fit_to_context
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
