"""Retrieval on real third-party documents, per format, as Debian ships them.

`make bench-knowledge` installs two small Debian packages (nobody debugged the readers with them):
- debian-faq: the Debian FAQ as DocBook HTML pages (one file per chapter) and as plain text;
- gnuplot-doc: the gnuplot 5.4 manual, a 311-page PDF book.

Each format is learned into its own library (the FAQ's HTML and text say the same things), and
bench/eval/third_party_questions.json (written before the first run) asks questions with the
document and a phrase of the passage that answers each. A hit is a retrieved passage from that
document containing that phrase. Reported per format: recall@1, recall@5, MRR, the questions not
answered first, and what reaches the prompt: of the bot's 4 best passages, those within the score
gap of the best (`core.grounding.SCORE_GAP`): how many a question (mean) and how often the hit is
among them; written to bench/results/third_party.json.

`--held-out` asks bench/eval/third_party_heldout.json instead: 60 questions on three other
manuals (debian-reference-en HTML, the Mutt manual as text, the Bash Reference Manual PDF from
bash-doc), written from the documents alone before any retrieval run on them, and never used to
tune; written to bench/results/third_party_heldout.json.

    python -m bench.third_party [--held-out]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.knowledge import RESULTS, gold_rank
from tgtrainer.config import Settings
from tgtrainer.core.excerpts import clear_leaders
from tgtrainer.core.grounding import SCORE_GAP
from tgtrainer.knowledge.embedder import Embedder
from tgtrainer.knowledge.extract import admit
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.local_embedder import LocalEmbedder
from tgtrainer.knowledge.types import GLOBAL_SCOPE
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore

QUESTIONS = Path(__file__).parent / "eval" / "third_party_questions.json"
HELD_OUT = Path(__file__).parent / "eval" / "third_party_heldout.json"
FAQ = Path("/usr/share/doc/debian/FAQ")
SOURCES = {  # format: its files, and the Debian package that ships them
    "html": (sorted(FAQ.glob("*.en.html")), "debian-faq"),
    "text": ([FAQ / "debian-faq.en.txt.gz"], "debian-faq"),
    "pdf": ([Path("/usr/share/doc/gnuplot/gnuplot.pdf")], "gnuplot-doc"),
}


def unpacked(path: Path, folder: Path) -> Path:
    """The file itself, or its gunzipped copy in `folder` (Debian compresses plain text)."""
    if path.suffix != ".gz":
        return path
    copy = folder / path.stem
    copy.write_bytes(gzip.decompress(path.read_bytes()))
    return copy


async def one_format(
    embedder: Embedder, folder: Path, files: list[Path], questions: list[dict[str, str]]
) -> dict[str, Any]:
    database = Database(folder / "library.sqlite3")
    library = Library(
        Settings(data_dir=folder, max_document_pages=1000), KnowledgeStore(database), embedder
    )
    started = time.perf_counter()
    chunks = 0
    for path in files:
        path = unpacked(path, folder)
        result = await library.learn_file(path, admit(path.name, None, None), GLOBAL_SCOPE)
        chunks += result.document.chunks
    learn_seconds = time.perf_counter() - started
    bot = Settings(data_dir=folder)
    ranks: list[int | None] = []
    prompt_counts: list[int] = []
    in_prompt = 0
    misses = []
    for item in questions:
        passages = await library.search(item["question"], [GLOBAL_SCOPE], 5)
        rank = gold_rank(passages, item["document"], item["answer"])
        ranks.append(rank)
        candidates = passages[: bot.retrieval_top_k]
        prompted = clear_leaders(
            [p for p in candidates if p.score >= bot.retrieval_min_score], SCORE_GAP
        )
        prompt_counts.append(len(prompted))
        in_prompt += gold_rank(prompted, item["document"], item["answer"]) is not None
        if rank != 1:  # recall@1 misses too, with the rank when found lower
            misses.append(
                {"question": item["question"], "rank": rank, "got": [p.location for p in passages]}
            )
    database.close()
    count = len(ranks)
    return {
        "documents": len(files),
        "chunks": chunks,
        "questions": count,
        "recall@1": round(sum(r == 1 for r in ranks) / count, 3),
        "recall@5": round(sum(r is not None for r in ranks) / count, 3),
        "mrr": round(sum(1 / r for r in ranks if r is not None) / count, 3),
        "score_gap": SCORE_GAP,
        "passages_in_prompt_mean": round(sum(prompt_counts) / count, 2),
        "hit_in_prompt": round(in_prompt / count, 3),
        "learn_seconds": round(learn_seconds, 1),
        "misses": misses,
    }


def held_out() -> tuple[dict[str, tuple[list[Path], str]], list[dict[str, str]]]:
    """The held-out set's sources (format: files, package) and questions."""
    evaluation = json.loads(HELD_OUT.read_text())
    sources = {
        kind: ([Path(name) for name in source["files"]], source["package"])
        for kind, source in evaluation["sources"].items()
    }
    return sources, evaluation["questions"]


async def main(use_held_out: bool) -> dict[str, Any]:
    embedder = LocalEmbedder()
    await embedder.warm_up()
    if use_held_out:
        sources, questions = held_out()
    else:
        sources, questions = SOURCES, json.loads(QUESTIONS.read_text())
    results: dict[str, Any] = {}
    for kind, (files, package) in sources.items():
        missing = [str(path) for path in files if not path.exists()] or ([] if files else [kind])
        if missing:
            raise SystemExit(f"{missing} missing: apt-get install {package} (make bench-knowledge)")
        asked = [item for item in questions if item["format"] == kind]
        with tempfile.TemporaryDirectory() as tmp:
            figures = await one_format(embedder, Path(tmp), files, asked)
        results[kind] = {"package": package, **figures}
        print(
            f"{kind} ({package}): {figures['questions']} questions over {figures['chunks']} "
            f"chunks: recall@1 {figures['recall@1']}, recall@5 {figures['recall@5']}, "
            f"MRR {figures['mrr']}; in the prompt {figures['passages_in_prompt_mean']} passages,"
            f" the hit in {figures['hit_in_prompt']}"
        )
    RESULTS.mkdir(exist_ok=True)
    name = "third_party_heldout.json" if use_held_out else "third_party.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="ask the held-out set")
    asyncio.run(main(parser.parse_args().held_out))
