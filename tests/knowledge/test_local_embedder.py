"""The bundled all-MiniLM-L6-v2, run with numpy, gives the vectors sentence-transformers gives."""

from __future__ import annotations

import numpy as np
import pytest

from tgtrainer.knowledge.local_embedder import LocalEmbedder

# The first 8 of 384 values of sentence-transformers 6.2 (torch 2.13 CPU) encoding these texts
# with the same package's model and normalize_embeddings=True.
REFERENCE = {
    "The launch code of project Zebulon is 4417.": [
        -0.03841, 0.02261, -0.09587, -0.05816, -0.02173, -0.03334, -0.03173, 0.0272,
    ],
    "Привет, как дела?": [
        -0.02964, 0.07687, 0.04896, -0.02827, -0.06687, 0.00695, 0.07608, -0.0099,
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


async def test_vectors_match_the_reference_implementation(embedder: LocalEmbedder) -> None:
    vectors = await embedder.embed(list(REFERENCE))
    assert vectors.shape == (2, 384)
    for vector, expected in zip(vectors, REFERENCE.values(), strict=True):
        assert np.allclose(vector[:8], expected, atol=2e-4)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


async def test_meaning_is_closer_than_wording(embedder: LocalEmbedder) -> None:
    question = await embedder.embed_query("How do I sort a list in Python?")
    near, far = await embedder.embed(
        ["Use sorted() or list.sort() to order the items of a list.", "Otters sleep holding hands."]
    )
    assert float(question @ near) > 0.5 > float(question @ far)


async def test_batches_of_mixed_length_give_the_same_vectors(embedder: LocalEmbedder) -> None:
    texts = ["short", "a much longer sentence " * 20, "medium length text here"]
    together = await embedder.embed(texts)
    alone = np.vstack([await embedder.embed([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


async def test_text_beyond_256_tokens_is_truncated_not_refused(embedder: LocalEmbedder) -> None:
    vector = await embedder.embed_query("word " * 2000)
    assert vector.shape == (384,)
