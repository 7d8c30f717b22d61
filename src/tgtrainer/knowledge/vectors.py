"""Dense vectors in memory, searched with one matrix product; filtered by scope."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class VectorIndex:
    """Unit vectors with their chunk ids and scopes; cosine similarity by dot product.

    At 100k chunks of 384 floats the matrix is 150 MB and a search is one matrix-vector product
    (a few ms), which is why no approximate index is needed at this size.
    """

    def __init__(self, dimensions: int = 0) -> None:
        self._lock = threading.Lock()
        self._ids = np.zeros(0, dtype=np.int64)
        self._scopes = np.zeros(0, dtype=np.int32)
        self._matrix = np.zeros((0, dimensions), dtype=np.float32)
        self._scope_codes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def _code(self, scope: str) -> int:
        return self._scope_codes.setdefault(scope, len(self._scope_codes))

    def add(self, ids: Sequence[int], scopes: Sequence[str], vectors: NDArray[np.float32]) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            codes = np.array([self._code(scope) for scope in scopes], dtype=np.int32)
            if self._matrix.shape[0] == 0:
                self._matrix = np.ascontiguousarray(vectors, dtype=np.float32)
            else:
                self._matrix = np.vstack([self._matrix, vectors.astype(np.float32)])
            self._ids = np.concatenate([self._ids, np.asarray(ids, dtype=np.int64)])
            self._scopes = np.concatenate([self._scopes, codes])

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
            self._ids, self._scopes = self._ids[keep], self._scopes[keep]
            self._matrix = self._matrix[keep]

    def search(
        self, query: NDArray[np.float32], scopes: Sequence[str], k: int
    ) -> list[tuple[int, float]]:
        """The `k` nearest chunks in `scopes`: (chunk id, cosine), best first."""
        with self._lock:
            ids, matrix, chunk_scopes = self._ids, self._matrix, self._scopes
            allowed = [self._scope_codes[s] for s in scopes if s in self._scope_codes]
        if not allowed or len(ids) == 0:
            return []
        scores = matrix @ query.astype(np.float32)
        scores[~np.isin(chunk_scopes, allowed)] = -np.inf
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def similarity(self, query: NDArray[np.float32], ids: Sequence[int]) -> dict[int, float]:
        """Cosine of `query` with each of the chunks `ids` (those in the index)."""
        wanted = np.asarray(ids, dtype=np.int64)
        with self._lock:
            # ids only grow (SQLite AUTOINCREMENT) and removal keeps order: binary search works.
            positions = np.searchsorted(self._ids, wanted)
            positions = np.minimum(positions, max(len(self._ids) - 1, 0))
            if len(self._ids) == 0:
                return {}
            found = self._ids[positions] == wanted
            rows = self._matrix[positions[found]]
        values = rows @ query.astype(np.float32)
        return {int(c): float(v) for c, v in zip(wanted[found], values, strict=True)}
