"""Replay: the base model's own answers to general prompts, mixed into the training data.

Learning new facts from a few examples pulls the model away from everything else (measured: the
loss on unrelated questions rose 35-50%). Training on its own earlier answers as well anchors
it: the adapter is rewarded for changing only what the examples teach. Each epoch takes its
share of replay examples in turn from the pool, so the more different answers the better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from tgtrainer.training.chat_data import Message

GENERAL_PROMPTS = (
    "Explain in two sentences what a hash table is.",
    "Write a Python function that reverses a string.",
    "What is the capital of France?",
    "Give three tips for writing clear e-mails.",
    "What does HTTP status code 404 mean?",
    "Summarise what photosynthesis is in one sentence.",
    "How do I list the files of a directory in a Linux shell?",
    "What is the difference between a list and a tuple in Python?",
    "Translate 'good morning' into Spanish.",
    "Why is the sky blue? Answer briefly.",
    "What is 17 multiplied by 3?",
    "Name two benefits of regular exercise.",
    "How do I boil an egg so the yolk stays soft?",
    "Who painted the Mona Lisa?",
    "Write a short thank-you note to a colleague.",
    "What is the difference between weather and climate?",
    "Convert 3 kilometres to metres.",
    "What does the acronym NASA stand for?",
    "Suggest a name for a small bakery.",
    "How does a refrigerator keep food cold?",
    "Write a SQL query that counts the rows of a table named orders.",
    "What is a haiku?",
    "Give me a synonym for 'quick'.",
    "In which century did the First World War begin?",
    "How can I stay focused while studying?",
    "What is the difference between a virus and a bacterium?",
    "Explain what an IP address is.",
    "Write a bash loop that prints the numbers 1 to 5.",
    "What is the plural of 'mouse'?",
    "Describe a cat in one sentence.",
    "What is inflation in economics?",
    "How many sides does a hexagon have?",
)

CHECK_PROMPTS = (
    "What is the main ingredient of guacamole?",
    "Write a Python function that checks whether a number is even.",
    "Explain what a firewall does in two sentences.",
    "How many days are there in a leap year?",
    "What is the difference between a noun and a verb?",
    "Give two reasons to back up your files.",
)
"""Never trained on: the base model's answers to these show what an adapter made it forget."""

T = TypeVar("T")


def generate_replay(
    llama: Any, prompts: Sequence[str], *, max_tokens: int = 256
) -> list[list[Message]]:
    """One example per prompt: the prompt and the model's greedy answer (llama-cpp-python).

    Only answers the model finished are kept: an answer cut at `max_tokens` would be trained
    with the end of the turn after its cut, teaching the model to stop mid-sentence.
    """
    examples = []
    for prompt in prompts:
        messages = [{"role": "user", "content": prompt}]
        response = llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=0.0
        )
        choice = response["choices"][0]
        answer = (choice["message"]["content"] or "").strip()
        if answer and choice.get("finish_reason") == "stop":
            examples.append([*messages, {"role": "assistant", "content": answer}])
    return examples


def replay_slots(examples: int, fraction: float) -> int:
    """How many replay examples join each epoch of `examples` to make up `fraction` of it."""
    if fraction <= 0:
        return 0
    if fraction >= 1:
        raise ValueError("the replay share must be below 1")
    return math.ceil(examples * fraction / (1 - fraction))


def epoch_with_replay(
    examples: Sequence[T], replay: Sequence[T], slots: int, epoch: int
) -> list[T]:
    """Epoch `epoch` (from 0): every example, and `slots` replay examples taken in turn from
    where the epoch before stopped, so that the epochs together see the whole pool (measured:
    10 different replay answers instead of 6 halved the rise of the general loss)."""
    if not replay:
        return list(examples)
    first = epoch * slots
    return list(examples) + [replay[(first + i) % len(replay)] for i in range(slots)]
