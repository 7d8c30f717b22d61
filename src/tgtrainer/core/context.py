"""Fitting a conversation into the model's context window."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tgtrainer.llm import ChatMessage

TRUNCATION_MARK = "\n[...]"
PER_MESSAGE_OVERHEAD = 4  # role markers and separators in chat templates
PICTURE_TOKENS = 1100
"""What a picture of at most 1568 pixels a side costs a vision model (OpenAI: 765-1105)."""
QUESTION_SHARE = 0.75
"""The most of the budget the newest message may take before it is cut too (the system
prompt keeps at least the rest)."""


def fit_to_context(
    system_prompt: str,
    history: Sequence[ChatMessage],
    count_tokens: Callable[[str], int],
    budget: int,
) -> list[ChatMessage]:
    """The system prompt plus the newest history that fits in `budget` tokens.

    The newest message (the question) comes first: the system prompt is cut (its end) before
    the question is, so that the question stays whole unless it alone takes more than
    `QUESTION_SHARE` of the budget; then the system prompt keeps the rest and the question's
    end is cut. The oldest turns are dropped first, and the history never starts with an
    assistant reply whose question was dropped. The prompt never exceeds the budget.
    """
    system = ChatMessage("system", system_prompt)
    if history:
        question_cost = _cost(history[-1], count_tokens)
        room = budget - question_cost - PER_MESSAGE_OVERHEAD
        floor = budget - int(budget * QUESTION_SHARE) - PER_MESSAGE_OVERHEAD
        allowed = max(room, floor, 1)
        if count_tokens(system_prompt) > allowed:
            system = _truncate(system, count_tokens, allowed)
    remaining = budget - count_tokens(system.content) - PER_MESSAGE_OVERHEAD
    kept: list[ChatMessage] = []
    for message in reversed(history):
        cost = _cost(message, count_tokens)
        if cost > remaining:
            if not kept:
                kept.append(
                    _truncate(message, count_tokens, max(remaining - PER_MESSAGE_OVERHEAD, 1))
                )
            break
        kept.append(message)
        remaining -= cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return [system, *kept]


def _cost(message: ChatMessage, count_tokens: Callable[[str], int]) -> int:
    return (
        count_tokens(message.content) + PICTURE_TOKENS * len(message.images) + PER_MESSAGE_OVERHEAD
    )


def _truncate(message: ChatMessage, count_tokens: Callable[[str], int], budget: int) -> ChatMessage:
    budget -= PICTURE_TOKENS * len(message.images)
    text = message.content
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits, found by bisection
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle] + TRUNCATION_MARK) <= budget:
            low = middle
        else:
            high = middle - 1
    return ChatMessage(message.role, text[:low] + TRUNCATION_MARK, message.images)
