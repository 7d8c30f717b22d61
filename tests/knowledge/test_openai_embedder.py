"""Embeddings over the OpenAI API, against the fake server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from tgtrainer.config import Settings
from tgtrainer.knowledge.errors import EmbeddingError
from tgtrainer.knowledge.factory import build_embedder, embeddings_backend
from tgtrainer.knowledge.local_embedder import LocalEmbedder
from tgtrainer.knowledge.openai_embedder import OpenAIEmbedder
from tgtrainer.testing.fake_openai import FakeOpenAIServer


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key="sk-test")
    await server.start()
    yield server
    await server.stop()


def settings_for(server: FakeOpenAIServer, **extra: object) -> Settings:
    return Settings(
        llm_backend="openai",
        openai_base_url=server.base_url,
        openai_api_key="sk-test",
        llm_max_retries=0,
        **extra,  # type: ignore[arg-type]
    )


async def test_batches_go_to_the_embeddings_endpoint(server: FakeOpenAIServer) -> None:
    embedder = OpenAIEmbedder(settings_for(server, embedding_model="emb-small"))
    embedder.batch_size = 2
    vectors = await embedder.embed(["a b", "c", "d e f"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert [r["input"] for r in server.embedding_requests] == [["a b", "c"], ["d e f"]]
    assert {r["model"] for r in server.embedding_requests} == {"emb-small"}
    await embedder.aclose()


async def test_a_refusal_becomes_a_sentence(server: FakeOpenAIServer) -> None:
    settings = settings_for(server).model_copy(update={"openai_api_key": None})
    embedder = OpenAIEmbedder(settings)
    with pytest.raises(EmbeddingError, match="not answering"):
        await embedder.embed(["x"])
    await embedder.aclose()


def test_the_factory_follows_the_settings(server: FakeOpenAIServer) -> None:
    assert embeddings_backend(Settings()) == "local"
    assert embeddings_backend(settings_for(server)) == "openai"
    assert isinstance(build_embedder(settings_for(server)), OpenAIEmbedder)
    assert isinstance(
        build_embedder(settings_for(server, embeddings_backend="local")), LocalEmbedder
    )
