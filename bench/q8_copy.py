"""The Q8_0 copy the bot runs against the published bundled GGUF, measured side by side.

`llm.q8_copy` re-quantises the bundled model (mostly Q5_0 inside) to Q8_0 so that prompts are
read faster. This checks both halves of that claim in one process, the two models taking turns
in a shuffled order each round so that the machine's changing speed falls on both alike:
- prompt: seconds to read a document question's prompt and give the first token (the system
  prompt stays evaluated between questions, as in the bot; the rest is `--prompt-tokens` new
  tokens of Debian's own text documents), median and the median of the paired ratios;
- decoding: tokens per second over a 96-token answer;
- sameness: perplexity on the second half of 512-token windows of those documents.

    python -m bench.q8_copy [--rounds 8] [--prompt-tokens 520]

Printed and written to bench/results/q8_copy.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.knowledge import RESULTS
from tgtrainer.config import Settings
from tgtrainer.llm.weights import bundled_model_path, published_model_path

# Plain-text documentation every Debian system has (base-files, bash, coreutils).
TEXTS = (
    "/usr/share/common-licenses/GPL-3",
    "/usr/share/common-licenses/Apache-2.0",
    "/usr/share/common-licenses/MPL-2.0",
    "/usr/share/doc/bash/POSIX.gz",
    "/usr/share/doc/bash/INTRO.gz",
)
WINDOW = 512


def read_text(path: str) -> str:
    data = Path(path).read_bytes()
    return (gzip.decompress(data) if path.endswith(".gz") else data).decode("utf-8", "replace")


def open_model(path: Path, *, logits_all: bool = False) -> Any:
    from llama_cpp import Llama

    threads = os.cpu_count() or 1
    return Llama(
        model_path=str(path), n_ctx=2048, n_threads=threads, logits_all=logits_all, verbose=False
    )


def prompt_seconds(llama: Any, head: list[int], body: list[int]) -> float:
    """Seconds to read `body` and sample one token; llama-cpp-python keeps the evaluated prefix
    it shares with the last prompt (`head`, the system prompt), as in the bot."""
    started = time.perf_counter()
    for _ in llama.generate(head + body, temp=0.0):
        break
    return time.perf_counter() - started


def decode_rate(llama: Any, prompt: list[int], tokens: int = 96) -> float:
    """Tokens per second from the first sampled token to the `tokens`-th after it."""
    llama.reset()
    started = 0.0
    for made, _ in enumerate(llama.generate(prompt, temp=0.0)):
        if made == 0:
            started = time.perf_counter()
        elif made == tokens:
            break
    return tokens / (time.perf_counter() - started)


def perplexity(path: Path, windows: list[list[int]]) -> float:
    """Perplexity on the second half of each window (the first half is context)."""
    llama = open_model(path, logits_all=True)
    try:
        return llama_perplexity(llama, windows)
    finally:
        llama.close()


def llama_perplexity(llama: Any, windows: list[list[int]]) -> float:
    """`perplexity` under a `logits_all=True` Llama."""
    total, count = 0.0, 0
    for window in windows:
        llama.reset()
        llama.eval(window)
        logits = np.asarray(llama.scores[: len(window)], dtype=np.float64)
        for position in range(len(window) // 2, len(window) - 1):
            row = logits[position]
            top = row.max()
            total += top + math.log(np.exp(row - top).sum()) - row[window[position + 1]]
            count += 1
    return math.exp(total / count)


def prompts(
    tokenizer: Any, data_dir: Path, prompt_tokens: int
) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """The system prompt's tokens, each text's tokens, and the texts cut into prompt bodies."""
    head = tokenizer.tokenize(Settings(data_dir=data_dir).system_prompt.encode())
    corpus = [tokenizer.tokenize(read_text(p).encode(), add_bos=False) for p in TEXTS]
    bodies = [
        tokens[start : start + prompt_tokens]
        for tokens in corpus
        for start in range(0, len(tokens) - prompt_tokens, prompt_tokens)
    ]
    return head, corpus, bodies


def perplexity_windows(corpus: list[list[int]]) -> list[list[int]]:
    """The first two whole WINDOW-token windows of each text."""
    windows = [tokens[start : start + WINDOW] for tokens in corpus for start in (0, WINDOW)]
    return [window for window in windows if len(window) == WINDOW]


def report(results: dict[str, Any], file_name: str) -> None:
    print(json.dumps(results, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / file_name).write_text(json.dumps(results, indent=2))


def command_line(doc: str | None) -> argparse.Namespace:
    """The options both prompt benchmarks take."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--prompt-tokens", type=int, default=520)
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="where the model is")
    return parser.parse_args()


def taking_turns(
    models: dict[str, Any], head: list[int], bodies: list[list[int]], rounds: int
) -> dict[str, list[float]]:
    """`prompt_seconds` of each model for `rounds` bodies, the models in a shuffled order each
    round so that the machine's changing speed falls on all alike."""
    for llama in models.values():
        prompt_seconds(llama, head, bodies[-1])  # the system prompt evaluated, as after a turn
    seconds: dict[str, list[float]] = {name: [] for name in models}
    shuffle = random.Random(0)
    for body in (bodies * rounds)[:rounds]:
        order = list(models)
        shuffle.shuffle(order)
        for name in order:
            seconds[name].append(prompt_seconds(models[name], head, body))
    return seconds


def main(rounds: int, prompt_tokens: int, data_dir: Path) -> dict[str, Any]:
    files = {"published": published_model_path(data_dir), "q8_0 copy": bundled_model_path(data_dir)}
    models = {name: open_model(path) for name, path in files.items()}
    tokenizer = models["published"]
    head, corpus, bodies = prompts(tokenizer, data_dir, prompt_tokens)
    seconds = taking_turns(models, head, bodies, rounds)
    decode = {name: decode_rate(llama, head) for name, llama in models.items()}
    for llama in models.values():
        llama.close()
    windows = perplexity_windows(corpus)
    ratios = [p / q for p, q in zip(seconds["published"], seconds["q8_0 copy"], strict=True)]
    results: dict[str, Any] = {
        "rounds": rounds,
        "prompt_tokens": prompt_tokens,
        "cached_system_prompt_tokens": len(head),
        "prompt_seconds_p50": {name: round(statistics.median(s), 2) for name, s in seconds.items()},
        "prompt_speedup_p50": round(statistics.median(ratios), 2),
        "decode_tokens_per_second": {name: round(rate, 1) for name, rate in decode.items()},
        "perplexity": {name: round(perplexity(path, windows), 3) for name, path in files.items()},
        "perplexity_tokens": len(windows) * (WINDOW // 2 - 1),
        "file_mb": {name: round(path.stat().st_size / 1e6) for name, path in files.items()},
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    report(results, "q8_copy.json")
    return results


if __name__ == "__main__":
    arguments = command_line(__doc__)
    main(arguments.rounds, arguments.prompt_tokens, arguments.data_dir)
