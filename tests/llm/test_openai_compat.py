"""`OpenAIChatModel` against the fake OpenAI server, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import openai
import pytest

from tgtrainer.config import Settings
from tgtrainer.llm import (
    ChatMessage,
    ModelConfigurationError,
    ModelUnavailableError,
    PromptTooLongError,
)
from tgtrainer.llm.openai_compat import DEFAULT_MODEL, OpenAIChatModel
from tgtrainer.testing.fake_openai import FakeOpenAIServer

UNAVAILABLE = "The model is not answering right now, try again in a minute."
REJECTED = "The model backend rejected the request: check the API key and model name."
KEY = "sk-test-secret-key-0123456789"
RETRIES = 2
QUESTION = [ChatMessage("user", "Hello there, model")]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key=KEY)
    await server.start()
    yield server
    await server.stop()


def make_model(server: FakeOpenAIServer, **overrides: Any) -> OpenAIChatModel:
    values: dict[str, Any] = {
        "llm_backend": "openai",
        "llm_model": "fake-small",
        "openai_base_url": server.base_url,
        "openai_api_key": KEY,
        "llm_timeout": 0.3,
        "llm_max_retries": RETRIES,
        "llm_max_tokens": 100,
    }
    values.update(overrides)
    return OpenAIChatModel(Settings.model_validate(values))


@pytest.fixture
async def model(server: FakeOpenAIServer) -> AsyncIterator[OpenAIChatModel]:
    model = make_model(server)
    yield model
    await model.aclose()


async def test_the_reply_streams_in_pieces_as_they_are_written(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.chunk_delay = 0.05
    started = time.perf_counter()
    arrivals: list[float] = []
    pieces: list[str] = []
    async for piece in model.stream([ChatMessage("user", "one two three four five six")]):
        arrivals.append(time.perf_counter() - started)
        pieces.append(piece)
    assert "".join(pieces) == "You said: one two three four five six"
    assert len(pieces) == 8
    assert arrivals[0] < arrivals[-1] / 2, "the first piece waited for the whole reply"


async def test_the_history_is_sent_as_given_with_the_configured_model(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    history = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "My name is Ann."),
        ChatMessage("assistant", "Hello Ann."),
        ChatMessage("user", "What is my name?"),
    ]
    assert await model.complete(history) == "You said: What is my name?"
    [request] = server.requests
    assert request["messages"] == [{"role": m.role, "content": m.content} for m in history]
    assert request["model"] == "fake-small"
    assert request["stream"] is True
    assert request["max_tokens"] == 100
    assert "seed" not in request


async def test_a_configured_seed_is_sent_with_every_request(server: FakeOpenAIServer) -> None:
    model = make_model(server, llm_seed=7)
    await model.complete(QUESTION)
    await model.complete(QUESTION)
    await model.aclose()
    assert [request["seed"] for request in server.requests] == [7, 7]


async def test_a_chosen_model_is_used_and_an_empty_setting_means_gpt_4o_mini(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    await model.complete(QUESTION, model="fake-large")
    assert server.requests[-1]["model"] == "fake-large"
    default = make_model(server, llm_model="")
    await default.complete(QUESTION)
    assert server.requests[-1]["model"] == DEFAULT_MODEL == "gpt-4o-mini"
    await default.aclose()


async def test_a_500_then_success_is_retried(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.fail_next(500, retry_after=0.01)
    assert await model.complete(QUESTION) == "You said: Hello there, model"
    assert len(server.requests) == 2


async def test_a_429_waits_as_long_as_retry_after_says(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.fail_next(429, retry_after=1)
    started = time.perf_counter()
    assert await model.complete(QUESTION) == "You said: Hello there, model"
    assert time.perf_counter() - started >= 0.95  # the SDK's own backoff would be <= 0.5 s
    assert len(server.requests) == 2


async def test_a_persistent_503_gives_up_after_bounded_tries_with_the_user_sentence(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.fail_next(503, count=10, retry_after=0.01)
    with pytest.raises(ModelUnavailableError) as raised:
        await model.complete(QUESTION)
    assert str(raised.value) == UNAVAILABLE
    assert "503" in raised.value.detail
    assert isinstance(raised.value.__cause__, openai.InternalServerError)
    assert len(server.requests) == RETRIES + 1


async def test_a_hang_beyond_the_timeout_gives_up_after_bounded_tries(
    server: FakeOpenAIServer,
) -> None:
    server.hang_next(5, count=10)
    model = make_model(server, llm_max_retries=1)
    with pytest.raises(ModelUnavailableError) as raised:
        await model.complete(QUESTION)
    assert str(raised.value) == UNAVAILABLE
    assert "timed out" in raised.value.detail
    assert len(server.requests) == 2
    await model.aclose()


async def test_a_stream_cut_midway_is_unavailable(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.break_stream_next()
    pieces: list[str] = []
    with pytest.raises(ModelUnavailableError) as raised:
        async for piece in model.stream([ChatMessage("user", "a b c d e f g h")]):
            pieces.append(piece)
    assert pieces, "the cut should come after the first pieces"
    assert "peer closed connection" in raised.value.detail
    assert await model.complete(QUESTION) == "You said: Hello there, model"


async def test_a_wrong_key_is_a_configuration_error_never_retried_nor_repeated(
    server: FakeOpenAIServer,
) -> None:
    wrong = "sk-wrong-secret-9876543210"
    server.fail_next(
        401,
        body={
            "error": {"message": f"Incorrect API key provided: {wrong}", "code": "invalid_api_key"}
        },
    )
    model = make_model(server, openai_api_key=wrong)
    with pytest.raises(ModelConfigurationError) as raised:
        await model.complete(QUESTION)
    assert str(raised.value) == REJECTED
    assert "401" in raised.value.detail
    assert wrong not in raised.value.detail + repr(raised.value) + str(raised.value)
    assert wrong not in repr(raised.value.__cause__)
    assert len(server.requests) == 1
    await model.aclose()


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_other_refusals_are_configuration_errors(
    server: FakeOpenAIServer, model: OpenAIChatModel, status: int
) -> None:
    server.fail_next(status)
    with pytest.raises(ModelConfigurationError):
        await model.complete(QUESTION)
    assert len(server.requests) == 1


async def test_an_unknown_model_is_a_configuration_error(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.strict_models = True
    with pytest.raises(ModelConfigurationError, match="check the API key and model name"):
        await model.complete(QUESTION, model="no-such-model")


async def test_a_prompt_over_the_context_window_asks_for_a_reset(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    body = {"error": {"message": "too long", "type": "x", "code": "context_length_exceeded"}}
    server.fail_next(400, body=body)
    with pytest.raises(PromptTooLongError, match="/reset"):
        await model.complete(QUESTION)


async def test_list_models_puts_the_configured_model_first_and_caches(
    server: FakeOpenAIServer,
) -> None:
    server.models = ["zeta", "fake-small", "alpha", "text-embedding-3-small"]
    model = make_model(server)
    assert await model.list_models() == ["fake-small", "alpha", "zeta"]
    assert await model.list_models() == ["fake-small", "alpha", "zeta"]
    assert server.model_listings == 1
    await model.aclose()


async def test_list_models_falls_back_to_the_configured_model(
    server: FakeOpenAIServer,
) -> None:
    server.fail_next(500, endpoint="models")
    model = make_model(server, llm_model="not-listed-anywhere")
    assert await model.list_models() == ["not-listed-anywhere"]
    assert await model.list_models() == ["not-listed-anywhere", "fake-large", "fake-small"]
    await model.aclose()


async def test_stopping_early_closes_the_stream_and_the_next_reply_works(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.chunk_delay = 0.05
    stream = cast(
        AsyncGenerator[str, None], model.stream([ChatMessage("user", " ".join(["word"] * 40))])
    )
    async for _ in stream:
        break
    await stream.aclose()
    server.chunk_delay = 0
    assert await model.complete(QUESTION) == "You said: Hello there, model"
