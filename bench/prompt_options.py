"""The prompt-reading options the bot gives llama.cpp (`llm.local.PROMPT_READING`) against none.

Both load the model the bot runs (the Q8_0 copy) and take turns in a shuffled order each round, as
in `bench.q8_copy`:
- prompt: seconds to read a document question's prompt and give the first token, after the
  system prompt evaluated by the turn before, median and the median of the paired ratios;
- decoding: tokens per second over a 96-token answer;
- sameness: perplexity on the second half of 512-token windows of the same documents, and how
  many of the first 64 greedy tokens after four prompts agree (a rounding difference early on
  changes every token after it).

    python -m bench.prompt_options [--rounds 8] [--prompt-tokens 520]

Printed and written to bench/results/prompt_options.json.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

from bench.q8_copy import (
    command_line,
    decode_rate,
    llama_perplexity,
    perplexity_windows,
    prompts,
    report,
    taking_turns,
)
from tgtrainer.llm.local import PROMPT_READING
from tgtrainer.llm.weights import bundled_model_path

SAMENESS_TOKENS = 64


def open_model(path: Path, options: dict[str, Any], *, logits_all: bool = False) -> Any:
    from llama_cpp import Llama

    threads = os.cpu_count() or 1
    return Llama(
        model_path=str(path),
        n_ctx=4096,
        n_threads=threads,
        logits_all=logits_all,
        verbose=False,
        **options,
    )


def perplexity(path: Path, options: dict[str, Any], windows: list[list[int]]) -> float:
    llama = open_model(path, options, logits_all=True)
    try:
        return llama_perplexity(llama, windows)
    finally:
        llama.close()


def greedy(llama: Any, prompt: list[int]) -> list[int]:
    llama.reset()
    made: list[int] = []
    for token in llama.generate(prompt, temp=0.0):
        made.append(token)
        if len(made) == SAMENESS_TOKENS:
            break
    return made


def main(rounds: int, prompt_tokens: int, data_dir: Path) -> dict[str, Any]:
    path = bundled_model_path(data_dir)
    models = {"defaults": open_model(path, {}), "bot": open_model(path, PROMPT_READING)}
    tokenizer = models["defaults"]
    head, corpus, bodies = prompts(tokenizer, data_dir, prompt_tokens)
    seconds = taking_turns(models, head, bodies, rounds)
    decode = {name: decode_rate(llama, head) for name, llama in models.items()}
    agree = total = 0
    for body in bodies[:4]:
        ours, theirs = (greedy(models[name], head + body) for name in ("bot", "defaults"))
        agree += sum(a == b for a, b in zip(ours, theirs, strict=False))
        total += max(len(ours), len(theirs))
    for llama in models.values():
        llama.close()
    windows = perplexity_windows(corpus)
    options = {"defaults": {}, "bot": PROMPT_READING}
    ratios = [d / b for d, b in zip(seconds["defaults"], seconds["bot"], strict=True)]
    results: dict[str, Any] = {
        "model": path.name,
        "options": PROMPT_READING,
        "rounds": rounds,
        "prompt_tokens": prompt_tokens,
        "cached_system_prompt_tokens": len(head),
        "prompt_seconds_p50": {name: round(statistics.median(s), 2) for name, s in seconds.items()},
        "prompt_speedup_p50": round(statistics.median(ratios), 2),
        "decode_tokens_per_second": {name: round(rate, 1) for name, rate in decode.items()},
        "perplexity": {
            name: round(perplexity(path, option, windows), 3) for name, option in options.items()
        },
        "greedy_tokens_agreeing": f"{agree}/{total}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    report(results, "prompt_options.json")
    return results


if __name__ == "__main__":
    arguments = command_line(__doc__)
    main(arguments.rounds, arguments.prompt_tokens, arguments.data_dir)
