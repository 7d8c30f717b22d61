"""A peft LoRA adapter written as a GGUF LoRA file that llama.cpp loads with `lora_path`.

As llama.cpp's `convert_lora_to_gguf.py` writes it: `general.type = adapter`,
`adapter.type = lora`, `adapter.lora.alpha`, the base model's `general.architecture`, and for
each adapted weight (its llama.cpp name, e.g. `blk.3.attn_q.weight`) two float32 tensors
`<name>.lora_a` (rank x in, as peft's lora_A) and `<name>.lora_b` (out x rank, as lora_B).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import gguf
import numpy as np
from numpy.typing import NDArray

_PEFT_NAME = re.compile(
    r"^(?:base_model\.model\.)?(?P<base>.+)\.lora_(?P<half>[AB])(?:\.\w+)?\.weight$"
)


def base_architecture(model_path: Path) -> tuple[str, int]:
    """The GGUF's `general.architecture` and block count (e.g. `("qwen2", 24)`)."""
    reader = gguf.GGUFReader(model_path)
    architecture = _string(reader, gguf.Keys.General.ARCHITECTURE)
    blocks = reader.fields[gguf.Keys.LLM.BLOCK_COUNT.format(arch=architecture)]
    return architecture, int(blocks.contents())


def _string(reader: gguf.GGUFReader, key: str) -> str:
    value = reader.fields[key].contents()
    assert isinstance(value, str)
    return value


def gguf_tensor_names(
    peft_names: list[str], architecture: str, blocks: int
) -> dict[str, tuple[str, str]]:
    """peft state-dict name -> (llama.cpp weight name, "lora_a" | "lora_b")."""
    arch = next(a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == architecture)
    names = gguf.get_tensor_name_map(arch, blocks)
    result = {}
    for peft_name in peft_names:
        match = _PEFT_NAME.match(peft_name)
        if match is None:
            raise ValueError(f"not a LoRA weight: {peft_name}")
        weight = names.get_name(match["base"] + ".weight", try_suffixes=(".weight",))
        if weight is None:
            raise ValueError(f"llama.cpp has no tensor for {peft_name}")
        result[peft_name] = (weight, "lora_" + match["half"].lower())
    return result


def write_lora_gguf(
    path: Path,
    weights: Mapping[str, NDArray[np.float32]],
    *,
    architecture: str,
    blocks: int,
    alpha: float,
) -> list[str]:
    """Write peft's LoRA `weights` (its state-dict names) to `path`; returns the tensor names."""
    names = gguf_tensor_names(list(weights), architecture, blocks)
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    written = []
    for peft_name, (weight, half) in sorted(names.items(), key=lambda item: item[1]):
        name = f"{weight}.{half}"
        writer.add_tensor(name, np.ascontiguousarray(weights[peft_name], dtype=np.float32))
        written.append(name)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return written
