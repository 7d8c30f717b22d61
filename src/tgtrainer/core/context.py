"""Fitting a conversation into the model's context window."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tgtrainer.llm import ChatMessage

TRUNCATION_MARK = "\n[...]"


def fit_to_context(
    system_prompt: str,
    history: Sequence[ChatMessage],
    count_tokens: Callable[[str], int],
    budget: int,
) -> list[ChatMessage]:
    """The system prompt plus the newest history that fits in `budget` tokens.

    The oldest turns are dropped first, and the history never starts with an assistant reply
    whose question was dropped. The newest message is always kept: if it alone is too long, its
    end is cut (so the prompt never exceeds the budget).
    """
    per_message_overhead = 4  # role markers and separators in chat templates
    system = ChatMessage("system", system_prompt)
    remaining = budget - count_tokens(system_prompt) - per_message_overhead
    kept: list[ChatMessage] = []
    for message in reversed(history):
        cost = count_tokens(message.content) + per_message_overhead
        if cost > remaining:
            if not kept:
                kept.append(
                    _truncate(message, count_tokens, max(remaining - per_message_overhead, 1))
                )
            break
        kept.append(message)
        remaining -= cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return [system, *kept]


def _truncate(message: ChatMessage, count_tokens: Callable[[str], int], budget: int) -> ChatMessage:
    text = message.content
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits, found by bisection
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle] + TRUNCATION_MARK) <= budget:
            low = middle
        else:
            high = middle - 1
    return ChatMessage(message.role, text[:low] + TRUNCATION_MARK)
