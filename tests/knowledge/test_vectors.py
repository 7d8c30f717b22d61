"""The in-memory vector index: nearest first, only the asked scopes, removal, similarity."""

from __future__ import annotations

import numpy as np

from tgtrainer.knowledge.embedder import normalise
from tgtrainer.knowledge.vectors import VectorIndex


def unit(*values: float) -> np.ndarray:  # type: ignore[type-arg]
    return normalise(np.array([values], dtype=np.float32))[0]


def test_nearest_first_within_the_asked_scopes_only() -> None:
    index = VectorIndex()
    index.add([1, 2, 3], ["a", "a", "b"], np.vstack([unit(1, 0), unit(0.6, 0.8), unit(1, 0.01)]))
    assert [i for i, _ in index.search(unit(1, 0), ["a"], 5)] == [1, 2]
    assert [i for i, _ in index.search(unit(1, 0), ["a", "b"], 2)] == [1, 3]
    assert index.search(unit(1, 0), ["c"], 5) == []
    [(chunk, score)] = index.search(unit(0, 1), ["a"], 1)
    assert chunk == 2 and abs(score - 0.8) < 1e-6


def test_removal_and_similarity() -> None:
    index = VectorIndex()
    index.add([1, 2], ["a", "a"], np.vstack([unit(1, 0), unit(0, 1)]))
    index.add([5], ["b"], np.vstack([unit(1, 1)]))
    index.remove([1, 5])
    assert len(index) == 1
    assert index.search(unit(1, 0), ["a", "b"], 5) == [(2, 0.0)]
    assert index.similarity(unit(0, 1), [2, 1, 99]) == {2: 1.0}
