"""Loss measured by llama.cpp itself: what the bot will run, base model with or without adapter.

The loss of an example is the mean negative log-probability of its assistant tokens (the labels
of `chat_data.tokenize`), given everything before them; a set's loss is the mean over all its
assistant tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tgtrainer.training.chat_data import IGNORE, TokenizedExample


def token_nll(scores: NDArray[np.float32], example: TokenizedExample) -> tuple[float, int]:
    """(sum of -log p, count) over the example's assistant tokens; `scores[i]` predicts i+1."""
    total, count = 0.0, 0
    for position in range(1, len(example.input_ids)):
        label = example.labels[position]
        if label == IGNORE:
            continue
        logits = scores[position - 1].astype(np.float64)
        top = logits.max()
        log_norm = top + np.log(np.exp(logits - top).sum())
        total += float(log_norm - logits[label])
        count += 1
    return total, count


def open_llama(model_path: Path, adapter: Path | None, *, n_ctx: int, threads: int) -> Any:
    from llama_cpp import Llama

    return Llama(
        model_path=str(model_path),
        lora_path=None if adapter is None else str(adapter),
        n_ctx=n_ctx,
        n_threads=threads,
        logits_all=True,
        verbose=False,
    )


def llama_loss(llama: Any, examples: Sequence[TokenizedExample]) -> float:
    """Mean -log p per assistant token of `examples` under a `logits_all=True` Llama."""
    total, count = 0.0, 0
    for example in examples:
        llama.reset()
        llama.eval(example.input_ids)
        scores = np.asarray(llama.scores[: len(example.input_ids)])
        nll, tokens = token_nll(scores, example)
        total, count = total + nll, count + tokens
    return total / count if count else float("nan")


def heldout_loss(
    model_path: Path,
    adapter: Path | None,
    examples: Sequence[TokenizedExample],
    *,
    threads: int = 1,
) -> float:
    if not examples:
        return float("nan")
    n_ctx = max(len(example.input_ids) for example in examples) + 8
    return llama_loss(open_llama(model_path, adapter, n_ctx=n_ctx, threads=threads), examples)
