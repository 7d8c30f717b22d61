"""The page learns from the model the bot uses whether it is still loading."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tgtrainer.llm import ChatMessage, ModelConfigurationError
from tgtrainer.sandbox.model_status import ObservedChatModel
from tgtrainer.testing.scripted_model import ScriptedChatModel


class SlowToLoad(ScriptedChatModel):
    def __init__(self, error: Exception | None = None) -> None:
        super().__init__(lambda messages: "pong from the model", models=["slow", "other"])
        self.release = asyncio.Event()
        self.error = error

    async def warm_up(self) -> None:
        await self.release.wait()
        if self.error is not None:
            raise self.error


async def test_waiting_then_loading_then_ready() -> None:
    inner = SlowToLoad()
    status: dict[str, Any] = {}
    model = ObservedChatModel(inner, status, "local")
    assert status == {"state": "waiting", "backend": "local"}
    loading = asyncio.create_task(model.warm_up())
    await asyncio.sleep(0)
    assert status["state"] == "loading"
    inner.release.set()
    await loading
    assert status["state"] == "ready"


async def test_a_model_that_cannot_load_is_reported_with_its_sentence() -> None:
    inner = SlowToLoad(ModelConfigurationError("no file", user_message="The weights are missing."))
    inner.release.set()
    status: dict[str, Any] = {}
    with pytest.raises(ModelConfigurationError):
        await ObservedChatModel(inner, status, "local").warm_up()
    assert status == {"state": "failed", "backend": "local", "message": "The weights are missing."}


async def test_it_answers_exactly_as_the_model_it_watches() -> None:
    inner = SlowToLoad()
    model = ObservedChatModel(inner, {}, "openai")
    messages = [ChatMessage("user", "ping")]
    assert await model.complete(messages) == await inner.complete(messages)
    assert await model.list_models() == ["slow", "other"]
    assert model.count_tokens("hello world") == inner.count_tokens("hello world")
    assert model.context_tokens == inner.context_tokens
    assert model.release is inner.release  # anything beyond the interface reaches the model
