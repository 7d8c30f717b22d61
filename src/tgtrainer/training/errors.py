"""What goes wrong with fine-tuning, offline or through a service, in sentences for the user
(see `tgtrainer.errors`).

TrainingError                       "Fine-tuning did not work this time."
 +-- FineTuningRefusedError         the service refuses (404: no fine-tuning there; 400/403)
 +-- FineTuningUnavailableError     time-out, connection error, 5xx, 429 (after retries)
 +-- NothingToTrainError            no rated or corrected answers yet
 +-- TrainingNotConfiguredError     no fine-tuning backend for these settings
 +-- UnknownJobError                no such job here
 +-- TrainExtraMissingError         offline training without the `train` extra: what to install
 +-- TrainingDataError              a JSONL that is not chat fine-tuning data (names the line)
 +-- UnsupportedModelError          a GGUF transformers cannot load (another architecture)
 +-- TrainingBusyError              an offline job is already running (one at a time)
"""

from __future__ import annotations

from tgtrainer.errors import UserFacingError

INSTALL_HINT = 'Offline training needs the train extra: pip install "tgtrainer[train]".'


class TrainingError(UserFacingError):
    user_message = "Fine-tuning did not work this time."


class FineTuningRefusedError(TrainingError):
    """The service answered, and said no; one instance may carry the service's own reason."""

    user_message = "This model service does not offer fine-tuning."


class FineTuningUnavailableError(TrainingError):
    user_message = "The fine-tuning service is not answering right now, try again in a minute."


class NothingToTrainError(TrainingError):
    user_message = (
        "There is nothing to train on yet: rate answers with 👍 or correct them "
        "(👎 then a reply, or /correct) first."
    )


class TrainingNotConfiguredError(TrainingError):
    user_message = (
        "Fine-tuning through a service needs LLM_BACKEND=openai (OpenAI or a compatible server)."
    )


class UnknownJobError(TrainingError):
    user_message = "There is no such fine-tuning job."


class TrainExtraMissingError(TrainingError):
    user_message = INSTALL_HINT


class TrainingDataError(TrainingError):
    """The JSONL is not OpenAI chat fine-tuning data; raised with a sentence naming the line."""


class UnsupportedModelError(TrainingError):
    user_message = "This model cannot be trained here: transformers cannot load its GGUF file."


class TrainingBusyError(TrainingError):
    user_message = "A training job is already running; wait for it or cancel it (/train_cancel)."
