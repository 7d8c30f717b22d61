"""Question-and-answer examples written from learned documents, so that a document can be
trained into the model and not only retrieved.

The chat model reads one passage at a time and writes a few questions a reader might ask, each
with its answer from the passage alone. An answer most of whose words are not in the passage is
dropped as not grounded; a question asked before (in any case and spacing) is dropped as a
duplicate. Each example cites its passage at the end of the answer ("Source: guide.pdf, p. 3"),
so the model learns where a fact comes from, and the format stays OpenAI's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tgtrainer.llm import ChatMessage, ChatModel, ModelError
from tgtrainer.storage.knowledge import Passage
from tgtrainer.training.dataset import Example

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You write training data. Read the passage and write {count} different questions a reader "
    "might ask about it, each followed by its answer. Answer only from the passage, in full "
    "sentences, without mentioning 'the passage'. Use exactly this form for each pair:\n"
    "Q: <question>\nA: <answer>"
)
_PAIR = re.compile(
    r"^\s*Q\s*[:.)]\s*(.+?)\s*\n\s*A\s*[:.)]\s*(.+?)\s*(?=^\s*Q\s*[:.)]|\Z)", re.M | re.S
)
_WORD = re.compile(r"\w{4,}")
MIN_GROUNDED_SHARE = 0.5  # of an answer's longer words that must be in the passage


@dataclass(slots=True)
class GeneratedDataset:
    examples: list[Example] = field(default_factory=list)
    duplicates: int = 0
    ungrounded: int = 0
    failed_passages: int = 0  # the model could not answer for them


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """The (question, answer) pairs in the model's `Q: ... A: ...` text."""
    return [(q.strip(), " ".join(a.split())) for q, a in _PAIR.findall(text) if q and a]


def grounded(answer: str, passage: str) -> bool:
    """Are most of the answer's longer words in the passage?"""
    words = {word.casefold() for word in _WORD.findall(answer)}
    if not words:
        return True
    known = {word.casefold() for word in _WORD.findall(passage)}
    return len(words & known) / len(words) >= MIN_GROUNDED_SHARE


def _question_key(question: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", question).casefold().split())


async def generate(
    model: ChatModel,
    passages: Sequence[Passage],
    *,
    per_passage: int,
    system_prompt: str,
    progress: Callable[[int], None] | None = None,
) -> GeneratedDataset:
    """Up to `per_passage` examples per passage, each `system_prompt`, a question, its answer
    with the passage cited. `progress` gets the number of passages done after each one."""
    result = GeneratedDataset()
    seen: set[str] = set()
    for done, passage in enumerate(passages, start=1):
        prompt = [
            ChatMessage("system", INSTRUCTIONS.format(count=per_passage)),
            ChatMessage("user", f"Passage ({passage.location}):\n{passage.text}"),
        ]
        try:
            text = await model.complete(prompt)
        except ModelError as error:
            log.warning("no questions for %s: %r", passage.location, error)
            result.failed_passages += 1
            continue
        for question, answer in parse_pairs(text)[:per_passage]:
            if not grounded(answer, passage.text):
                result.ungrounded += 1
                continue
            key = _question_key(question)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            result.examples.append(
                {
                    "messages": [
                        {"role": "system", "content": system_prompt},
                        {"role": "user", "content": question},
                        {
                            "role": "assistant",
                            "content": f"{answer}\n\nSource: {passage.location}",
                        },
                    ]
                }
            )
        if progress is not None:
            progress(done)
    return result
