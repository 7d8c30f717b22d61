"""Replay: the base model's own answers to general prompts, mixed into the training data.

Learning new facts from a few examples pulls the model away from everything else (measured: the
loss on unrelated questions rose 35-50%). Training on its own earlier answers as well anchors
it: the adapter is rewarded for changing only what the examples teach.
"""

from __future__ import annotations

import math
import random
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
)

T = TypeVar("T")


def generate_replay(
    llama: Any, prompts: Sequence[str], *, max_tokens: int = 96
) -> list[list[Message]]:
    """One example per prompt: the prompt and the model's greedy answer (llama-cpp-python)."""
    examples = []
    for prompt in prompts:
        messages = [{"role": "user", "content": prompt}]
        response = llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=0.0
        )
        answer = (response["choices"][0]["message"]["content"] or "").strip()
        if answer:
            examples.append([*messages, {"role": "assistant", "content": answer}])
    return examples


def mix_replay(
    examples: Sequence[T], replay: Sequence[T], *, fraction: float, seed: int = 0
) -> list[T]:
    """`examples` plus replay examples making up about `fraction` of the result, shuffled.

    Replay examples are reused in turn when there are fewer than needed.
    """
    if not replay or fraction <= 0:
        return list(examples)
    wanted = math.ceil(len(examples) * fraction / (1 - fraction)) if fraction < 1 else len(replay)
    mixed = list(examples) + [replay[i % len(replay)] for i in range(wanted)]
    random.Random(seed).shuffle(mixed)
    return mixed
