"""What goes wrong with fine-tuning, in sentences for the user (see `tgtrainer.errors`).

TrainingError                       "Fine-tuning did not work this time."
 +-- FineTuningRefusedError         the service refuses (404: no fine-tuning there; 400/403)
 +-- FineTuningUnavailableError     time-out, connection error, 5xx, 429 (after retries)
 +-- NothingToTrainError            no rated or corrected answers yet
 +-- TrainingNotConfiguredError     no fine-tuning backend for these settings
 +-- UnknownJobError                no such job here
"""

from __future__ import annotations

from tgtrainer.errors import UserFacingError


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
