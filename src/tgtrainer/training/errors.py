"""What offline training tells its user when it cannot go on."""

from __future__ import annotations

from tgtrainer.errors import UserFacingError

INSTALL_HINT = 'Offline training needs the train extra: pip install "tgtrainer[train]".'


class TrainingError(UserFacingError):
    user_message = "Training could not run."


class TrainExtraMissingError(TrainingError):
    user_message = INSTALL_HINT


class TrainingDataError(TrainingError):
    """The JSONL is not OpenAI chat fine-tuning data; raised with a sentence naming the line."""


class UnsupportedModelError(TrainingError):
    user_message = "This model cannot be trained here: transformers cannot load its GGUF file."
