"""`build_chat_model`: the right class from `Settings`, cheaply, and clear refusals."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.llm.factory import build_chat_model
from tgtrainer.llm.local import LlamaCppChatModel
from tgtrainer.llm.openai_compat import OpenAIChatModel
from tgtrainer.llm.weights import BUNDLED_MODEL_NAME


def make_settings(**values: Any) -> Settings:
    return Settings.model_validate({"llm_model_path": None, **values})


async def test_openai_backend_with_a_key() -> None:
    settings = make_settings(llm_backend="openai", openai_api_key="sk-x", llm_model="")
    model = build_chat_model(settings)
    assert isinstance(model, OpenAIChatModel)
    assert model.default_model == "gpt-4o-mini"
    await model.aclose()


async def test_a_compatible_server_needs_no_key() -> None:
    settings = make_settings(llm_backend="openai", openai_base_url="http://127.0.0.1:11434/v1")
    model = build_chat_model(settings)
    assert isinstance(model, OpenAIChatModel)
    await model.aclose()


def test_openai_itself_without_a_key_is_refused() -> None:
    settings = make_settings(llm_backend="openai", openai_api_key=None, openai_base_url=None)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        build_chat_model(settings)


async def test_the_local_backend_defaults_to_the_bundled_model_and_reads_nothing(
    tmp_path: Path,
) -> None:
    model = build_chat_model(make_settings(llm_backend="local", data_dir=tmp_path))
    assert isinstance(model, LlamaCppChatModel)
    assert await model.list_models() == [BUNDLED_MODEL_NAME]
    assert not await asyncio.to_thread(lambda: list(tmp_path.iterdir()))


def test_a_missing_model_path_is_refused(tmp_path: Path) -> None:
    settings = make_settings(llm_backend="local", llm_model_path=tmp_path / "x.gguf")
    with pytest.raises(ConfigurationError, match="LLM_MODEL_PATH"):
        build_chat_model(settings)


@pytest.mark.parametrize("backend", ["openai", "local"])
def test_building_a_model_loads_neither_llama_cpp_nor_numpy(backend: str) -> None:
    code = textwrap.dedent(f"""
        import sys
        from tgtrainer.config import Settings
        from tgtrainer.llm.factory import build_chat_model
        build_chat_model(Settings(_env_file=None, llm_backend={backend!r}, openai_api_key="k"))
        print(sorted({{"llama_cpp", "numpy"}} & set(sys.modules)))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
