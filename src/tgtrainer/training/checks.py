"""The checks OpenAI's fine-tuning format checker makes, for chat and preference examples.

Chat examples (`{"messages": [...]}`) follow the cookbook's "Data preparation and analysis for
chat model fine-tuning": a list of messages, each with a known role and non-empty text content,
no unknown keys, at least one assistant message; preference examples follow the DPO format
(`input.messages`, one assistant message in `preferred_output` and `non_preferred_output`).
Both must stay under a token limit. Each check returns the names of the errors it found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

TokenCounter = Callable[[str], int]

CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight"})
ROLES = frozenset({"system", "user", "assistant"})
TOKENS_PER_MESSAGE = 3  # role and separators, as OpenAI's cookbook counts them
TOKENS_PER_EXAMPLE = 3  # the reply's priming


def estimate_tokens(text: str) -> int:
    """A cautious count (about 3 characters a token): OpenAI's tokenizer is not bundled."""
    return len(text) // 3 + 1


def message_tokens(messages: Iterable[dict[str, Any]], count: TokenCounter) -> int:
    return TOKENS_PER_EXAMPLE + sum(
        TOKENS_PER_MESSAGE + count(str(message.get("content") or "")) for message in messages
    )


def _message_errors(messages: Any) -> list[str]:
    if not isinstance(messages, list) or not messages:
        return ["missing_messages_list"]
    errors: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            errors.append("data_type")
            continue
        if "role" not in message or "content" not in message:
            errors.append("message_missing_key")
        if any(key not in MESSAGE_KEYS for key in message):
            errors.append("message_unrecognized_key")
        if message.get("role") not in ROLES:
            errors.append("unrecognized_role")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            errors.append("missing_content")
    return errors


def chat_example_errors(
    example: Any, max_tokens: int, count: TokenCounter = estimate_tokens
) -> list[str]:
    """What is wrong with a chat fine-tuning example; [] when it passes."""
    if not isinstance(example, dict):
        return ["data_type"]
    errors = [f"unrecognized_key:{key}" for key in example if key not in CHAT_KEYS]
    messages = example.get("messages")
    errors += _message_errors(messages)
    if not isinstance(messages, list) or not messages:
        return errors
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors.append("example_missing_assistant_message")
    if not errors and message_tokens(messages, count) > max_tokens:
        errors.append("too_many_tokens")
    return errors


def _output_errors(output: Any) -> list[str]:
    if not isinstance(output, list) or len(output) != 1 or not isinstance(output[0], dict):
        return ["output_not_one_message"]
    errors = _message_errors(output)
    if output[0].get("role") != "assistant":
        errors.append("output_not_assistant")
    return errors


def preference_example_errors(
    example: Any, max_tokens: int, count: TokenCounter = estimate_tokens
) -> list[str]:
    """What is wrong with a DPO preference example; [] when it passes."""
    if not isinstance(example, dict):
        return ["data_type"]
    errors = [f"unrecognized_key:{key}" for key in example if key not in PREFERENCE_KEYS]
    given = example.get("input")
    messages = given.get("messages") if isinstance(given, dict) else None
    errors += _message_errors(messages)
    last = messages[-1] if isinstance(messages, list) and messages else None
    if isinstance(last, dict) and last.get("role") != "user":
        errors.append("input_not_ending_with_user")
    preferred, other = example.get("preferred_output"), example.get("non_preferred_output")
    errors += _output_errors(preferred) + _output_errors(other)
    if not errors and isinstance(messages, list):
        longest = max(
            message_tokens([*messages, *output], count) for output in (preferred or [], other or [])
        )
        if longest > max_tokens:
            errors.append("too_many_tokens")
    return errors
