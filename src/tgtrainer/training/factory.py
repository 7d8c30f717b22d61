"""The one place a fine-tuning backend is chosen, from `Settings`."""

from __future__ import annotations

from tgtrainer.config import Settings
from tgtrainer.training.base import FineTuner


def base_model(settings: Settings) -> str:
    """The model a job fine-tunes: FINETUNE_BASE_MODEL, else the chat model."""
    if settings.finetune_base_model:
        return settings.finetune_base_model
    if settings.llm_model:
        return settings.llm_model
    from tgtrainer.llm.openai_compat import DEFAULT_MODEL

    return DEFAULT_MODEL


def build_remote_fine_tuner(settings: Settings) -> FineTuner | None:
    """The OpenAI-compatible service's fine-tuning, when the chat model is served by one."""
    if settings.llm_backend != "openai":
        return None
    from tgtrainer.training.openai_finetune import OpenAIFineTuner

    return OpenAIFineTuner(settings)
