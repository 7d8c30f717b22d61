"""Fine-tuning data from the dialogue log: supervised chat examples and preference pairs.

A chat example is the exact prompt an answer was made from (system prompt and passages
included) followed by the answer, in OpenAI's chat fine-tuning format (`{"messages": [...]}`);
a correction replaces the answer. A preference pair (OpenAI's DPO format) puts the correction
before the answer it corrected. By default only answers rated 👍 or corrected are used; an
answer rated 👎 and not corrected never is. Examples are optionally redacted, deduplicated,
checked (`checks`), and split into training and validation sets by a hash of their content, so
the same data always splits the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgtrainer.storage.dialogue import LoggedTurn
from tgtrainer.training.checks import (
    TokenCounter,
    chat_example_errors,
    estimate_tokens,
    message_tokens,
    preference_example_errors,
)
from tgtrainer.training.redaction import redact

Example = dict[str, Any]
GOOD, BAD = 1, -1


@dataclass(frozen=True, slots=True)
class BuildOptions:
    every_answer: bool = False  # also unrated answers (never the ones rated 👎 and uncorrected)
    redact: bool = False
    max_tokens: int = 16_384
    validation_share: float = 0.0


@dataclass(slots=True)
class BuiltDataset:
    train: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)
    preference: list[Example] = field(default_factory=list)
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)  # by the check that failed
    no_prompt: int = 0  # answers from before the answer log: their prompt is unknown

    def tokens(self, examples: Sequence[Example], count: TokenCounter = estimate_tokens) -> int:
        return sum(message_tokens(example["messages"], count) for example in examples)


def _wanted(turn: LoggedTurn, every_answer: bool) -> bool:
    if turn.answer is None:
        return False
    if turn.correction is not None or turn.rating == GOOD:
        return True
    return every_answer and turn.rating != BAD


def _message(role: str, content: str, clean: bool) -> dict[str, str]:
    return {"role": role, "content": redact(content) if clean else content}


def _key(example: Example) -> str:
    """Examples that differ only in case and spacing are duplicates."""
    text = re.sub(r"\s+", " ", json.dumps(example, ensure_ascii=False, sort_keys=True)).casefold()
    return hashlib.sha256(text.encode()).hexdigest()


def chat_example(turn: LoggedTurn, *, clean: bool = False) -> Example:
    """The prompt as the model got it, then the answer (the correction when there is one)."""
    assert turn.prompt is not None and turn.answer is not None
    best = turn.correction if turn.correction is not None else turn.answer
    messages = [_message(m["role"], m["content"], clean) for m in turn.prompt]
    return {"messages": [*messages, _message("assistant", best, clean)]}


def preference_example(turn: LoggedTurn, *, clean: bool = False) -> Example:
    """The prompt, the correction as the preferred answer, the answer as the other."""
    assert turn.prompt is not None and turn.answer is not None and turn.correction is not None
    return {
        "input": {"messages": [_message(m["role"], m["content"], clean) for m in turn.prompt]},
        "preferred_output": [_message("assistant", turn.correction, clean)],
        "non_preferred_output": [_message("assistant", turn.answer, clean)],
    }


def build(
    turns: Iterable[LoggedTurn], options: BuildOptions, count: TokenCounter = estimate_tokens
) -> BuiltDataset:
    built = BuiltDataset()
    chat: list[Example] = []
    seen: set[str] = set()
    for turn in turns:
        if not _wanted(turn, options.every_answer):
            continue
        if turn.prompt is None:
            built.no_prompt += 1
            continue
        candidates = [(chat_example(turn, clean=options.redact), chat)]
        if turn.correction is not None and turn.correction.strip() != turn.answer:
            candidates.append((preference_example(turn, clean=options.redact), built.preference))
        for example, into in candidates:
            key = _key(example)
            if key in seen:
                built.duplicates += 1
                continue
            seen.add(key)
            checker = chat_example_errors if into is chat else preference_example_errors
            errors = checker(example, options.max_tokens, count)
            if errors:
                built.rejected.update(set(errors))
                continue
            into.append(example)
    built.train, built.validation = split(chat, options.validation_share)
    return built


def _fraction(example: Example) -> float:
    return int(_key(example)[:12], 16) / 16**12


def split(examples: Sequence[Example], share: float) -> tuple[list[Example], list[Example]]:
    """(train, validation): an example goes to validation when its content's hash falls in the
    first `share` of the range, so the split never depends on order or on a random seed. With a
    share above 0 and two examples or more, validation gets at least one."""
    if share <= 0:
        return list(examples), []
    validation = [example for example in examples if _fraction(example) < share]
    if not validation and len(examples) >= 2:
        validation = [min(examples, key=_fraction)]
    chosen = {id(example) for example in validation}
    return [example for example in examples if id(example) not in chosen], validation


def write_jsonl(path: Path, examples: Iterable[Example]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        for example in examples:
            file.write(json.dumps(example, ensure_ascii=False) + "\n")


def summary(
    built: BuiltDataset, price_per_million: float | None, count: TokenCounter = estimate_tokens
) -> list[str]:
    """Lines for the person who built the dataset: what is in it and what one epoch costs."""
    train_tokens = built.tokens(built.train, count)
    lines = [
        f"training examples: {len(built.train)} ({train_tokens} tokens, estimated)",
        f"validation examples: {len(built.validation)} "
        f"({built.tokens(built.validation, count)} tokens)",
        f"preference pairs: {len(built.preference)}",
        f"duplicates dropped: {built.duplicates}",
    ]
    if built.rejected:
        reasons = ", ".join(f"{name} x{n}" for name, n in sorted(built.rejected.items()))
        lines.append(f"rejected by the format checks: {reasons}")
    if built.no_prompt:
        lines.append(f"skipped (answered before prompts were logged): {built.no_prompt}")
    if price_per_million is not None:
        cost = train_tokens * price_per_million / 1_000_000
        lines.append(
            f"estimated cost of one epoch: {cost:.4f} at {price_per_million} per million tokens"
        )
    return lines
