"""Fakes and helpers for tests and benchmarks; the product itself never imports this package.

- `fake_openai`: a fake OpenAI-compatible server on 127.0.0.1 (chat, models, embeddings, speech),
  with scripted replies and faults; `python -m tgtrainer.testing.fake_openai` runs it alone.
- `fake_faults`: the fake server's faults, queued per endpoint.
- `fake_finetune`: the files and fine-tuning endpoints of the fake server, jobs that advance.
- `fake_local_finetune`: a fast stand-in for offline training that ends with a real (inert)
  LoRA adapter.
- `scripted_model`: a chat model that answers with a function of the prompt.
- `hashing_embedder`: a deterministic bag-of-words embedder.
- `environment`: clean environments for the bot and sandbox processes tests start.
- `media`: the shared JFK recording (checked) and audio/video/image files as clients send them.
- `wer`: word error rate.
- `openai_wire`: the JSON the fake server sends, in OpenAI's shapes.
"""

from __future__ import annotations

# Submodules only, imported where used: `python -m tgtrainer.testing.fake_openai` must find its
# module not yet imported, and a core test needs no web server or PyAV.
__all__ = [
    "environment",
    "fake_faults",
    "fake_finetune",
    "fake_local_finetune",
    "fake_openai",
    "hashing_embedder",
    "media",
    "openai_wire",
    "scripted_model",
    "wer",
]
