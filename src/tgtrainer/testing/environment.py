"""Environments for the processes tests and benchmarks start: the bot, the sandbox, baselines."""

from __future__ import annotations

import os
from pathlib import Path

from tgtrainer.config import Settings

__all__ = ["PRODUCT_VARIABLES", "fake_model_environment", "without_product_settings"]

PRODUCT_VARIABLES = frozenset(
    ["TGTRAINER_DATA_DIR", *(name.upper() for name in Settings.model_fields if name != "data_dir")]
)


def without_product_settings() -> dict[str, str]:
    """This process's environment minus every variable `Settings` reads: what a developer has
    exported for their own bot must not leak into a test's."""
    return {key: value for key, value in os.environ.items() if key not in PRODUCT_VARIABLES}


def fake_model_environment(openai_base_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment whose chat model is an OpenAI-compatible server on 127.0.0.1.

    The bot is open to everyone (`OPEN_ACCESS=true`) unless `extra` says otherwise: the tests of
    the closed mode set `OPEN_ACCESS=false`."""
    env = without_product_settings()
    env.update(
        LLM_BACKEND="openai",
        OPENAI_BASE_URL=openai_base_url,
        OPENAI_API_KEY="sk-test-not-a-real-key",
        LLM_MODEL="fake-small",
        TGTRAINER_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        OPEN_ACCESS="true",
    )
    env.update(extra)
    return env
