"""Offline fine-tuning benchmark: does the bundled model learn 30 facts without forgetting?

The facts (a made-up company's rules, `bench/eval/training_facts.json`, written before any run)
are taught as corrections: one chat example per fact, the question and the corrected answer.
Before and after training (LoRA, the product's engine and defaults, with replay), each question
and its paraphrase is asked through llama.cpp (greedy), and a reply counts as recalled when it
holds the fact's key; numbers and codes are reported apart from words. The 30 unrelated general
questions' loss (the base model's own answers, measured by llama.cpp) shows what was forgotten.

    python -m bench.training [--epochs 6] [--max-steps N] [--limit N]
                             [--lr 1e-4] [--rank 16] [--targets q_proj,k_proj,...]
                             [--replay-fraction 0.33] [--out FILE]

Printed and written to bench/results/training.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.training.chat_data import Message, tokenize_all
from tgtrainer.training.heldout import llama_loss, open_llama
from tgtrainer.training.jobs import JobOptions, default_threads
from tgtrainer.training.local_backend import DEFAULT_EPOCHS
from tgtrainer.training.local_trainer import (
    TARGET_MODULES,
    TrainOptions,
    add_lora,
    export_adapter,
    load_trainable,
    train_lora,
)
from tgtrainer.training.replay import GENERAL_PROMPTS, generate_replay, replay_slots

EVAL = Path(__file__).parent / "eval" / "training_facts.json"
RESULTS = Path(__file__).parent / "results" / "training.json"
ANSWER_TOKENS = 48
REFERENCE_TOKENS = 256  # the general questions' answers, complete


def ask(llama: Any, question: str) -> str:
    response = llama.create_chat_completion(
        messages=[{"role": "user", "content": question}], max_tokens=ANSWER_TOKENS, temperature=0
    )
    return str(response["choices"][0]["message"]["content"] or "")


def recall(llama: Any, facts: list[dict[str, str]], field: str) -> dict[str, Any]:
    """How many replies to each fact's `field` (question or paraphrase) hold its key, by kind."""
    by_kind: dict[str, list[int]] = {}
    replies = []
    for fact in facts:
        reply = ask(llama, fact[field])
        hit = fact["key"].lower() in reply.lower()
        by_kind.setdefault(fact["kind"], [0, 0])
        by_kind[fact["kind"]][0] += hit
        by_kind[fact["kind"]][1] += 1
        replies.append({"question": fact[field], "reply": reply, "recalled": hit})
    total = sum(counts[0] for counts in by_kind.values())
    return {
        "recalled": total,
        "of": len(facts),
        "by_kind": {kind: f"{hit}/{of}" for kind, (hit, of) in sorted(by_kind.items())},
        "replies": replies,
    }


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--threads", type=int, default=None, help="default: the product's")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N facts (a trial).")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the report goes")
    parser.add_argument(
        "--replay-fraction", type=float, default=None, help="default: the product's"
    )
    parser.add_argument(
        "--seed", type=int, default=TrainOptions().seed, help="the order of the examples"
    )
    parser.add_argument("--lr", type=float, default=TrainOptions().learning_rate)
    parser.add_argument("--rank", type=int, default=TrainOptions().rank)
    parser.add_argument(
        "--targets", default=",".join(TARGET_MODULES), help="the layers LoRA adapts, by name"
    )
    args = parser.parse_args()
    threads = args.threads or default_threads()
    evaluation = json.loads(EVAL.read_text("utf-8"))
    facts = evaluation["facts"][: args.limit]
    general = evaluation["general_questions"][: args.limit]
    started = time.monotonic()
    base = bundled_model_path(args.data_dir)
    llama = open_llama(base, None, n_ctx=512, threads=threads)

    before = {"trained": recall(llama, facts, "question")}
    before["paraphrased"] = recall(llama, facts, "paraphrase")
    # The base model's own complete answers: the same rule as replay (an answer cut at a token
    # limit would be scored on an end of turn the model never wrote there).
    references = generate_replay(llama, general, max_tokens=REFERENCE_TOKENS)
    job = JobOptions()
    if args.replay_fraction is not None:
        job = dataclasses.replace(job, replay_fraction=args.replay_fraction)
    replay = generate_replay(llama, GENERAL_PROMPTS[: job.replay_prompts])
    del llama

    loading = time.monotonic()
    model, tokenizer = load_trainable(base, threads=threads)
    load_s = time.monotonic() - loading
    general_tokens = tokenize_all(tokenizer, references, max_tokens=2 * REFERENCE_TOKENS)
    general_before = llama_loss(open_llama(base, None, n_ctx=1024, threads=threads), general_tokens)

    corrections: list[list[Message]] = [
        [{"role": "user", "content": f["question"]}, {"role": "assistant", "content": f["answer"]}]
        for f in facts
    ]
    options = TrainOptions(
        rank=args.rank,
        alpha=2 * args.rank,
        learning_rate=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        threads=threads,
        target_modules=tuple(args.targets.split(",")),
        seed=args.seed,
    )
    training = tokenize_all(tokenizer, corrections, max_tokens=options.max_tokens)
    replay_tokens = tokenize_all(tokenizer, replay, max_tokens=options.max_tokens)
    peft_model = add_lora(model, options)
    result = train_lora(
        peft_model,
        training,
        options,
        lambda p: print(f"step {p.step}/{p.total} loss {p.loss:.3f}", flush=True) or True,
        replay=replay_tokens,
        replay_per_epoch=replay_slots(len(training), job.replay_fraction),
    )
    with tempfile.TemporaryDirectory() as scratch:
        adapter = Path(scratch) / "adapter.gguf"
        export_adapter(peft_model, base, adapter, options)
        tuned = open_llama(base, adapter, n_ctx=1024, threads=threads)
        after = {"trained": recall(tuned, facts, "question")}
        after["paraphrased"] = recall(tuned, facts, "paraphrase")
        general_after = llama_loss(tuned, general_tokens)

    report = {
        "facts": len(facts),
        "training_examples": len(training),
        "replay_per_epoch": replay_slots(len(training), job.replay_fraction),
        "steps": result.steps,
        "epochs": args.epochs,
        "options": {
            "rank": options.rank,
            "alpha": options.alpha,
            "lr": options.learning_rate,
            "targets": list(options.target_modules),
            "seed": options.seed,
        },
        "threads": threads,
        "load_seconds": round(load_s, 1),
        "train_seconds": round(result.seconds, 1),
        "seconds_per_step": round(result.seconds / max(result.steps, 1), 2),
        "wall_seconds": round(time.monotonic() - started, 1),
        "peak_memory_mb": peak_mb(),
        "general_references": len(general_tokens),
        "replay_examples": len(replay),
        "general_loss_before": round(general_before, 4),
        "general_loss_after": round(general_after, 4),
        "general_loss_change_pct": round(100 * (general_after / general_before - 1), 1),
        "before": before,
        "after": after,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    for when in ("before", "after"):
        for field in ("trained", "paraphrased"):
            figures = report[when][field]
            print(
                f"{when:6} {field:11} {figures['recalled']:2}/{figures['of']} {figures['by_kind']}"
            )
    print(
        f"general loss {general_before:.3f} -> {general_after:.3f}"
        f" ({report['general_loss_change_pct']:+.1f}%); load {load_s:.0f} s;"
        f" {report['seconds_per_step']} s/step; wall {report['wall_seconds']:.0f} s;"
        f" peak {report['peak_memory_mb']} MB"
    )


if __name__ == "__main__":
    main()
