"""The embedding interface: one method to implement (`embed_batch`), batching derived."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class Embedder(abc.ABC):
    """Turns texts into unit-length vectors of `dimensions` floats; `name` identifies the model
    (vectors of two models are never compared)."""

    name: str = "embedder"
    dimensions: int = 0
    batch_size: int = 32

    @abc.abstractmethod
    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Vectors for at most `batch_size` texts, one row each; raises `EmbeddingError`."""

    async def embed(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> Vectors:
        """Vectors for any number of texts, in batches, normalised to unit length."""
        rows: list[Vectors] = []
        for start in range(0, len(texts), self.batch_size):
            rows.append(await self.embed_batch(texts[start : start + self.batch_size]))
            if progress is not None:
                progress(min(start + self.batch_size, len(texts)), len(texts))
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return normalise(np.vstack(rows))

    async def embed_query(self, text: str) -> Vectors:
        """One vector (a 1-D array) for a search query."""
        vectors = await self.embed([text])
        return float32(vectors[0])

    async def warm_up(self) -> None:  # noqa: B027 - optional hook: remote models need nothing
        """Load the model now rather than on the first document."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release what the embedder holds."""


def float32(values: Any) -> Vectors:
    """`values` as a float32 array (typed, for the arithmetic numpy's stubs leave as Any)."""
    return np.asarray(values, dtype=np.float32)


def normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return float32(vectors / norms)
