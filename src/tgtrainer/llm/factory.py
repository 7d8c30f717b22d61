"""The one place a concrete chat model is chosen, from `Settings`.

Backends are imported only when chosen: the OpenAI backend never loads llama.cpp or numpy, and
constructing the local one reads no weights (they are joined and loaded on first use).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.llm.base import ChatModel


def build_chat_model(settings: Settings) -> ChatModel:
    """The chat model `settings` ask for; raises `ConfigurationError` for what cannot work."""
    if settings.llm_backend == "openai":
        from tgtrainer.llm.openai_compat import OpenAIChatModel

        if settings.openai_api_key is None and settings.openai_base_url is None:
            raise ConfigurationError(
                "OPENAI_API_KEY: missing; LLM_BACKEND=openai needs a key for OpenAI, or "
                "OPENAI_BASE_URL pointing at a compatible server"
            )
        return OpenAIChatModel(settings)

    if settings.vision == "on":
        raise ConfigurationError(
            "VISION: on needs LLM_BACKEND=openai (a vision model); the local model reads only "
            "the text in pictures"
        )
    from tgtrainer.llm.local import LlamaCppChatModel, ModelFile

    adapters = _adapter_files(settings)
    if settings.llm_model_path is not None:
        if not settings.llm_model_path.is_file():
            raise ConfigurationError(f"LLM_MODEL_PATH: no file at {settings.llm_model_path}")
        return LlamaCppChatModel(settings, settings.llm_model_path, adapters)
    from tgtrainer.llm.weights import BUNDLED_MODEL_NAME, bundled_model_path

    bundled = ModelFile(BUNDLED_MODEL_NAME, partial(bundled_model_path, settings.data_dir))
    return LlamaCppChatModel(settings, bundled, adapters)


def _adapter_files(settings: Settings) -> Callable[[str], Path | None]:
    """An adapter's GGUF file by its name, from the adapters offline training kept (the
    registry is plain files in the data directory: no training library is imported)."""
    from tgtrainer.training.adapters import AdapterRegistry

    registry = AdapterRegistry(settings.data_dir)

    def find(name: str) -> Path | None:
        adapter = registry.get(name)
        return None if adapter is None else adapter.path

    return find
