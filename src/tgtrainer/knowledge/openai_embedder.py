"""Embeddings from the `embeddings` endpoint of OpenAI or any compatible server."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import openai
from openai import AsyncOpenAI

from tgtrainer.config import Settings
from tgtrainer.knowledge.embedder import Embedder, Vectors
from tgtrainer.knowledge.errors import EmbeddingError

DEFAULT_MODEL = "text-embedding-3-small"
OPENAI_URL = "https://api.openai.com/v1"


class OpenAIEmbedder(Embedder):
    batch_size = 64

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self.name = settings.embedding_model or DEFAULT_MODEL
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._client = client or AsyncOpenAI(
            api_key=key or "no-key",
            base_url=settings.openai_base_url or OPENAI_URL,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        try:
            response = await self._client.embeddings.create(model=self.name, input=list(texts))
        except openai.OpenAIError as error:
            raise EmbeddingError(
                "The embedding model is not answering right now, try again in a minute."
            ) from error
        rows = sorted(response.data, key=lambda item: item.index)
        vectors = np.array([row.embedding for row in rows], dtype=np.float32)
        if vectors.shape[0] != len(texts):
            raise EmbeddingError("The embedding model gave a wrong number of vectors.")
        self.dimensions = int(vectors.shape[1])
        return vectors

    async def aclose(self) -> None:
        await self._client.close()
