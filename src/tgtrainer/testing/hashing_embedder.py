"""A deterministic embedder for fast tests: words hashed into a bag-of-words vector."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from tgtrainer.knowledge.embedder import Embedder, Vectors

__all__ = ["HashingEmbedder", "hashed_vector"]


def hashed_vector(text: str, dimensions: int = 256) -> list[float]:
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "little") % dimensions] += 1.0
    return vector


class HashingEmbedder(Embedder):
    name = "hashing-test"
    dimensions = 256

    def __init__(self) -> None:
        self.calls: list[int] = []

    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        return np.array([hashed_vector(t, self.dimensions) for t in texts], dtype=np.float32)
