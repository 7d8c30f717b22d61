"""Real offline training on the bundled model: a few LoRA steps, a GGUF adapter, llama.cpp.

Slow (marked `training`): the GGUF's weights are dequantised into a float32 copy beside it
(about a minute on an idle 2-core machine), three steps are trained, and llama.cpp loads the
adapter with `lora_path`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.training.chat_data import tokenize_all
from tgtrainer.training.heldout import llama_loss, open_llama
from tgtrainer.training.local_trainer import (
    TrainOptions,
    add_lora,
    export_adapter,
    load_trainable,
    train_lora,
)

pytest.importorskip("peft", reason="the train extra is not installed")

EXAMPLES = [
    [
        {"role": "user", "content": f"What is the door code of room {room}?"},
        {"role": "assistant", "content": f"The door code of room {room} is {4711 + room}."},
    ]
    for room in range(4)
]


@pytest.mark.training
@pytest.mark.timeout(900)
def test_a_trained_adapter_changes_what_llama_cpp_computes(tmp_path: Path) -> None:
    base = bundled_model_path(tmp_path)
    model, tokenizer = load_trainable(base, threads=2)
    examples = tokenize_all(tokenizer, EXAMPLES, max_tokens=64)
    assert len(examples) == 4
    options = TrainOptions(max_steps=3, learning_rate=1e-3, threads=2)
    peft_model = add_lora(model, options)
    result = train_lora(peft_model, examples, options)
    assert result.steps == 3
    adapter = tmp_path / "adapter.gguf"
    names = export_adapter(peft_model, base, adapter, options)
    assert "blk.23.attn_output.weight.lora_b" in names and "blk.0.ffn_down.weight.lora_a" in names
    assert len(names) == 24 * 7 * 2

    plain = open_llama(base, None, n_ctx=128, threads=2)
    tuned = open_llama(base, adapter, n_ctx=128, threads=2)
    ids = examples[0].input_ids
    for llama in (plain, tuned):
        llama.reset()
        llama.eval(ids)
    difference = np.abs(np.asarray(plain.scores[: len(ids)]) - np.asarray(tuned.scores[: len(ids)]))
    assert difference.max() > 0.05
    assert llama_loss(tuned, examples) < llama_loss(plain, examples)
