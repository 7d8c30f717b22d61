"""Answers from documents, tight passages against whole ones, on manuals nobody tuned on.

Issue 10 made document answers start sooner by putting only the sentences around the hit into
the prompt, and only the best passage when it is clearly best. This asks whether the answers
got worse: the three held-out Debian manuals of bench.third_party (the Debian Reference in
HTML, the Mutt manual as text, the Bash Reference Manual as PDF) are learned into one library,
and bench/eval/answer_checks_heldout.json (45 questions with accepted phrases, written from the
documents alone before any run) is asked of the bundled local model twice: with the bot's
passages, and with whole passages as before. Reported for each: answers right, seconds to the
first streamed piece (p50/p95) and prompt tokens (p50).

    python -m bench.answers_heldout [--limit N]

Printed and written to bench/results/answers_heldout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.knowledge import RESULTS, answer_share
from bench.third_party import unpacked
from tgtrainer.config import Settings
from tgtrainer.knowledge.extract import admit
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.local_embedder import LocalEmbedder
from tgtrainer.knowledge.types import GLOBAL_SCOPE
from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore

CHECKS = Path(__file__).parent / "eval" / "answer_checks_heldout.json"
WAYS: dict[str, dict[str, Any]] = {
    "tight passages (the bot's)": {},
    "whole passages (before issue 10)": {"passage_tokens": 100_000, "score_gap": 100.0},
}


@contextlib.asynccontextmanager
async def learned_library(folder: Path, documents: dict[str, list[str]]) -> AsyncIterator[Library]:
    """The held-out manuals learned into one library in `folder`, as the bot learns them."""
    embedder = LocalEmbedder()
    await embedder.warm_up()
    with Database(folder / "library.sqlite3") as database:
        library = Library(
            Settings(data_dir=folder, max_document_pages=1000), KnowledgeStore(database), embedder
        )
        for files in documents.values():
            for name in files:
                path = unpacked(Path(name), folder)
                await library.learn_file(path, admit(path.name, None, None), GLOBAL_SCOPE)
        yield library


async def main(limit: int | None, model_dir: Path) -> dict[str, Any]:
    evaluation = json.loads(CHECKS.read_text("utf-8"))
    checks = {item["question"]: item["accepted"] for item in evaluation["checks"]}
    results: dict[str, Any] = {"questions": len(checks) if limit is None else limit}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        async with learned_library(Path(tmp), evaluation["documents"]) as library:
            results["learn_seconds"] = round(time.perf_counter() - started, 1)
            for way, options in WAYS.items():
                figures = await answer_share(library, model_dir, limit, checks, **options)
                results[way] = figures
                print(
                    f"{way}: {figures['right']}/{figures['questions']} right; first piece p50"
                    f" {figures['first_piece_s']['p50']} s, p95 {figures['first_piece_s']['p95']}"
                    f" s; prompt p50 {figures['prompt_tokens']['p50']} tokens",
                    flush=True,
                )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answers_heldout.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="where the model is")
    arguments = parser.parse_args()
    bundled_model_path(arguments.data_dir)  # joined once, outside every timing
    asyncio.run(main(arguments.limit, arguments.data_dir))
