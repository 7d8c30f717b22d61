"""Chat examples in OpenAI's fine-tuning JSONL, tokenized with the model's own chat template.

Only the assistant's tokens are learned: every other token's label is `IGNORE` (what torch's
cross-entropy skips). An assistant turn's span runs from the end of the prompt the template
renders for it (`add_generation_prompt=True`) to the end of the turn rendered, so the end-of-turn
token is learned too and the model learns to stop.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tgtrainer.training.errors import TrainingDataError

IGNORE = -100
ROLES = frozenset({"system", "user", "assistant"})

Message = dict[str, str]


class ChatTokenizer(Protocol):
    """The part of a transformers tokenizer used here."""

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]  # IGNORE except on assistant tokens

    @property
    def learned_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def read_examples(path: Path) -> list[list[Message]]:
    """The conversations of a JSONL file, one `{"messages": [...]}` per non-empty line."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            examples.append(_messages(line, f"{path.name}, line {number}"))
    if not examples:
        raise TrainingDataError(f"{path}: empty", user_message=f"{path.name} holds no examples.")
    return examples


def _messages(line: str, where: str) -> list[Message]:
    def refuse(why: str) -> TrainingDataError:
        return TrainingDataError(f"{where}: {why}", user_message=f"{where}: {why}.")

    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise refuse(f"not JSON ({error.msg})") from None
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise refuse('expected {"messages": [...]}')
    result = []
    for message in messages:
        if not isinstance(message, dict):
            raise refuse("a message is not an object")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise refuse(f"unknown role {role!r}")
        if not isinstance(content, str) or not content.strip():
            raise refuse("a message has no text content")
        result.append({"role": role, "content": content})
    if not any(message["role"] == "assistant" for message in result):
        raise refuse("no assistant message")
    return result


def assistant_spans(tokenizer: ChatTokenizer, messages: Sequence[Message]) -> list[tuple[int, int]]:
    """Character spans of the rendered conversation that the model must learn to write."""
    full = render(tokenizer, messages)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:index], add_generation_prompt=True)
        turn = render(tokenizer, messages[: index + 1])
        if not (full.startswith(prompt) and full.startswith(turn)):
            raise TrainingDataError("the chat template does not render conversations as prefixes")
        spans.append((len(prompt), len(turn)))
    return spans


def render(
    tokenizer: ChatTokenizer, messages: Sequence[Message], *, add_generation_prompt: bool = False
) -> str:
    text = tokenizer.apply_chat_template(
        list(messages), tokenize=False, add_generation_prompt=add_generation_prompt
    )
    assert isinstance(text, str)
    return text


def tokenize(
    tokenizer: ChatTokenizer, messages: Sequence[Message], *, max_tokens: int
) -> TokenizedExample:
    """Tokens of the whole conversation (cut at `max_tokens`), labels on assistant tokens only."""
    spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(
        render(tokenizer, messages), add_special_tokens=False, return_offsets_mapping=True
    )
    ids = list(encoded["input_ids"])[:max_tokens]
    offsets = list(encoded["offset_mapping"])[:max_tokens]
    labels = [
        token if any(start <= begin < end for start, end in spans) else IGNORE
        for token, (begin, _) in zip(ids, offsets, strict=True)
    ]
    return TokenizedExample(input_ids=ids, labels=labels)


def tokenize_all(
    tokenizer: ChatTokenizer, examples: Sequence[Sequence[Message]], *, max_tokens: int
) -> list[TokenizedExample]:
    """Every example that keeps at least one assistant token once cut at `max_tokens`."""
    tokenized = [tokenize(tokenizer, messages, max_tokens=max_tokens) for messages in examples]
    return [example for example in tokenized if example.learned_tokens]
