"""The one place a fine-tuning backend is chosen, from `Settings`.

FINETUNE_BACKEND names it: `local` (a LoRA adapter trained on this machine), `openai` (an
OpenAI-compatible service), or `package.module:factory`, a callable taking `Settings` and
returning a `FineTuner` of your own; empty follows the chat model (LLM_BACKEND).
"""

from __future__ import annotations

import importlib
from typing import cast

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.training.base import FineTuner


def base_model(settings: Settings, backend: str | None = None) -> str:
    """The model a job fine-tunes: the local GGUF's name offline; for a service
    FINETUNE_BASE_MODEL, else the chat model."""
    if (backend or _chosen(settings)) == "local":
        from tgtrainer.training.local_backend import base_model_name

        return base_model_name(settings)
    if settings.finetune_base_model:
        return settings.finetune_base_model
    if settings.llm_model:
        return settings.llm_model
    from tgtrainer.llm.openai_compat import DEFAULT_MODEL

    return DEFAULT_MODEL


def _chosen(settings: Settings) -> str:
    return settings.finetune_backend or settings.llm_backend


def build_fine_tuner(settings: Settings) -> FineTuner | None:
    """The backend FINETUNE_BACKEND (or else LLM_BACKEND) asks for; the bot's `/train` uses it."""
    chosen = _chosen(settings)
    if chosen == "local":
        return build_local_fine_tuner(settings)
    if chosen == "openai":
        return build_remote_fine_tuner(settings)
    return _plugged_in(chosen, settings)


def build_remote_fine_tuner(settings: Settings) -> FineTuner | None:
    """The OpenAI-compatible service's fine-tuning, when the chat model is served by one."""
    if settings.llm_backend != "openai":
        return None
    from tgtrainer.training.openai_finetune import OpenAIFineTuner

    return OpenAIFineTuner(settings)


def build_local_fine_tuner(settings: Settings) -> FineTuner:
    """Offline training of the local chat model (the `train` extra is checked when a job is
    planned, so that `/train` can say what to install); a FINETUNE_BACKEND of the
    `module:factory` form replaces it."""
    if ":" in settings.finetune_backend:
        return _plugged_in(settings.finetune_backend, settings)
    from tgtrainer.training.local_backend import LocalFineTuner

    return LocalFineTuner(settings)


def _plugged_in(reference: str, settings: Settings) -> FineTuner:
    module_name, _, attribute = reference.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigurationError(
            f"FINETUNE_BACKEND: {reference!r} is not local, openai or an importable "
            f"module:factory ({error})"
        ) from error
    return cast(FineTuner, factory(settings))
