"""The training engine on a tiny random Qwen2 model: LoRA steps, cancel, the GGUF adapter file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tgtrainer.training.chat_data import tokenize_all
from tgtrainer.training.local_trainer import (
    Progress,
    TrainOptions,
    add_lora,
    lora_weights,
    total_steps,
    train_lora,
)

gguf = pytest.importorskip("gguf", reason="the train extra is not installed")

EXAMPLES = [
    [{"role": "user", "content": f"Code {i}?"}, {"role": "assistant", "content": f"{4711 + i}."}]
    for i in range(4)
]


@pytest.fixture
def tiny_model(char_tokenizer: Any) -> Any:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(char_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    return Qwen2ForCausalLM(config)


def test_steps_cap_and_epochs() -> None:
    assert total_steps(4, TrainOptions(epochs=3)) == 12
    assert total_steps(4, TrainOptions(epochs=3, max_steps=5)) == 5


def test_lora_trains_only_the_linear_layers(tiny_model: Any, char_tokenizer: Any) -> None:
    options = TrainOptions(rank=4, alpha=8, max_steps=6, learning_rate=1e-2)
    model = add_lora(tiny_model, options)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in name for name in trainable)
    assert {name.split(".lora_")[0].rsplit(".", 1)[-1] for name in trainable} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    seen: list[Progress] = []
    examples = tokenize_all(char_tokenizer, EXAMPLES, max_tokens=64)
    result = train_lora(model, examples, options, lambda progress: seen.append(progress) or True)
    assert result.steps == 6 and not result.cancelled
    assert [progress.step for progress in seen] == [1, 2, 3, 4, 5, 6]
    assert all(progress.total == 6 for progress in seen)
    assert seen[-1].seconds_left == 0
    assert result.losses[-1] < result.losses[0]
    weights = lora_weights(model)
    assert any(np.abs(w).max() > 0 for name, w in weights.items() if "lora_B" in name)


def test_on_step_returning_false_cancels(tiny_model: Any, char_tokenizer: Any) -> None:
    options = TrainOptions(rank=2, alpha=4, epochs=5)
    model = add_lora(tiny_model, options)
    examples = tokenize_all(char_tokenizer, EXAMPLES, max_tokens=64)
    result = train_lora(model, examples, options, lambda progress: progress.step < 2)
    assert result.cancelled and result.steps == 2


def test_adapter_written_as_llama_cpp_names_it(
    tiny_model: Any, char_tokenizer: Any, tmp_path: Path
) -> None:
    from tgtrainer.training.lora_gguf import write_lora_gguf

    options = TrainOptions(rank=4, alpha=8)
    weights = lora_weights(add_lora(tiny_model, options))
    path = tmp_path / "adapter.gguf"
    names = write_lora_gguf(path, weights, architecture="qwen2", blocks=2, alpha=8)
    expected = {
        f"blk.{block}.{part}.weight.lora_{half}"
        for block in (0, 1)
        for part in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
        for half in ("a", "b")
    }
    assert set(names) == expected
    reader = gguf.GGUFReader(path)
    assert reader.fields["general.architecture"].contents() == "qwen2"
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 8.0
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    assert set(tensors) == expected
    # ggml lists dimensions innermost first: lora_a is (rank x in), lora_b (out x rank)
    assert list(tensors["blk.0.attn_q.weight.lora_a"].shape) == [32, 4]
    assert list(tensors["blk.0.attn_k.weight.lora_b"].shape) == [4, 16]
    assert list(tensors["blk.0.ffn_down.weight.lora_a"].shape) == [64, 4]
    peft_a = next(w for name, w in weights.items() if "layers.1.self_attn.v_proj.lora_A" in name)
    np.testing.assert_array_equal(
        np.asarray(tensors["blk.1.attn_v.weight.lora_a"].data).reshape(peft_a.shape), peft_a
    )
