"""Knowledge benchmark: retrieval quality on real documentation, search latency, learning speed.

1. Quality: the Python Language Reference topics that ship with CPython itself
   (`pydoc_data.topics`, the text `help('for')` shows; real public documentation, not written
   for this test) are learned as one file per topic; bench/eval/python_reference_questions.json
   holds questions with the topic and a phrase of the passage that answers each. A hit is a
   retrieved chunk from that topic containing that phrase. Reported: recall@1, recall@5, MRR.
2. Search latency: p50/p95 of `Library.search` over 1k, 10k and 100k chunks, all visible to
   the searching chat (the worst case): BM25 + dense + fusion + fetching the passages. The
   corpus chunks are repeated to reach the size, with random unit vectors beside them; query
   vectors are embedded once beforehand, and the query embedding time is reported on its own.
3. Learning: a 300-page PDF made with fpdf2 from the same text, learned end to end (extract,
   chunk, embed with the local model, index): pages/s and the process's peak memory.

    python -m bench.knowledge [--skip-pdf] [--sizes 1000,10000,100000]

Printed, and written to bench/results/knowledge.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tgtrainer.config import Settings
from tgtrainer.core.grounding import Grounder
from tgtrainer.knowledge.chunking import chunk_sections
from tgtrainer.knowledge.embedder import Embedder, Vectors, normalise
from tgtrainer.knowledge.extract import admit
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.local_embedder import LocalEmbedder
from tgtrainer.knowledge.types import GLOBAL_SCOPE, Chunk, Passage, Section
from tgtrainer.storage import Database
from tgtrainer.storage.knowledge import KnowledgeStore

HERE = Path(__file__).parent
RESULTS = HERE / "results"
QUESTIONS = HERE / "eval" / "python_reference_questions.json"
ANSWER_CHECKS = HERE / "eval" / "answer_checks.json"
ANSWER_SEED = 7


def topics() -> dict[str, str]:
    from pydoc_data.topics import topics as reference

    return dict(reference)


def normalised(text: str) -> str:
    """Markup-free lower-case text, for matching a gold phrase against a chunk."""
    return re.sub(r"\s+", " ", re.sub(r"[*\"`|]", "", text)).lower()


def gold_rank(passages: Sequence[Passage], document: str, answer: str) -> int | None:
    """The place (from 1) of the first passage from `document` that holds `answer`; None if none."""
    gold = normalised(answer)
    return next(
        (
            number
            for number, passage in enumerate(passages, start=1)
            if passage.document == document and gold in normalised(passage.text)
        ),
        None,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share + 0.5) - 1, 0)]


def answering_settings(data_dir: Path) -> Settings:
    """The bot's settings for the bundled local model, with short answers sampled with the seed
    ANSWER_SEED, so that runs compare prompts, not sampling paths."""
    return Settings(data_dir=data_dir, llm_backend="local", llm_max_tokens=96, llm_seed=ANSWER_SEED)


def grounder_like_the_bot(library: Library, settings: Settings, **options: Any) -> Grounder:
    """A grounder configured as the bot's, but for `options` (top_k, passage_tokens...)."""
    bots: dict[str, Any] = {
        "top_k": settings.retrieval_top_k,
        "min_score": settings.retrieval_min_score,
        "budget_tokens": settings.knowledge_context_tokens,
    }
    return Grounder(library, **(bots | options))


async def answer_share(
    library: Library,
    data_dir: Path,
    limit: int | None,
    checks: dict[str, list[str]] | None = None,
    **grounder_options: Any,
) -> dict[str, Any]:
    """The share of the questions in `checks` (default ANSWER_CHECKS) the bundled local model
    answers right, from the retrieved passages: right means the answer holds one of the accepted
    phrases. Also the document question's first words: seconds from asking (retrieval included)
    to the first streamed piece, and the prompt's size in tokens. The grounder is configured as
    the bot's, but for `grounder_options` (top_k, passage_tokens, score_gap...). Every answer is
    sampled with the seed ANSWER_SEED, so that runs compare prompts, not sampling paths."""
    from tgtrainer.core import ChatRef, UserRef
    from tgtrainer.llm import ChatMessage
    from tgtrainer.llm.factory import build_chat_model

    if checks is None:
        checks = json.loads(ANSWER_CHECKS.read_text())
    chosen = list(checks.items())[:limit]
    settings = answering_settings(data_dir)
    model = build_chat_model(settings)
    await model.warm_up()  # the real tokenizer counts the prompt, as in the bot
    grounder = grounder_like_the_bot(library, settings, **grounder_options)
    right, answers = 0, []
    first_pieces: list[float] = []
    prompt_tokens: list[int] = []
    started = time.perf_counter()
    for question, accepted in chosen:
        asked = time.perf_counter()
        grounding = await grounder.ground(
            ChatRef(1, "private"), UserRef(1, "bench"), question, model.count_tokens
        )
        messages = [
            ChatMessage("system", grounding.system_prompt(settings.system_prompt)),
            ChatMessage("user", grounding.question(question)),
        ]
        prompt_tokens.append(sum(model.count_tokens(m.content) + 4 for m in messages))
        pieces: list[str] = []
        async for piece in model.stream(messages):
            if not pieces:
                first_pieces.append(time.perf_counter() - asked)
            pieces.append(piece)
        reply = "".join(pieces)
        ok = any(phrase in reply.lower() for phrase in accepted)
        right += ok
        answers.append(
            {
                "question": question,
                "right": ok,
                "first_piece_s": round(first_pieces[-1], 2) if pieces else None,
                "prompt_tokens": prompt_tokens[-1],
                "passages": len(grounding.passages),
                "answer": reply.strip()[:300],
            }
        )
    await model.aclose()
    return {
        "model": "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (bundled), run as its Q8_0 copy",
        "questions": len(chosen),
        "right": right,
        "share_right": right / len(chosen),
        "first_piece_s": {
            "p50": round(statistics.median(first_pieces), 2),
            "p95": round(percentile(first_pieces, 0.95), 2),
        },
        "prompt_tokens": {
            "p50": statistics.median(prompt_tokens),
            "p95": percentile(prompt_tokens, 0.95),
        },
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
        "answers": answers,
    }


async def evaluate(
    embedder: Embedder,
    folder: Path,
    model_data_dir: Path | None = None,
    answer_limit: int | None = None,
) -> dict[str, Any]:
    settings = Settings(data_dir=folder)
    database = Database(folder / "eval.sqlite3")
    library = Library(settings, KnowledgeStore(database), embedder)
    corpus = folder / "corpus"
    corpus.mkdir()
    started = time.perf_counter()
    chunks = 0
    for name, text in topics().items():
        path = corpus / f"{name}.txt"
        path.write_text(text)
        chunks += (
            await library.learn_file(path, admit(path.name, None, None), GLOBAL_SCOPE)
        ).document.chunks
    learn_seconds = time.perf_counter() - started
    questions = json.loads(QUESTIONS.read_text())
    ranks: list[int | None] = []
    misses = []
    for item in questions:
        passages = await library.search(item["question"], [GLOBAL_SCOPE], 5)
        rank = gold_rank(passages, f"{item['document']}.txt", item["answer"])
        ranks.append(rank)
        if rank is None:
            misses.append({"question": item["question"], "got": [p.location for p in passages]})
    answers = await answer_share(library, model_data_dir, answer_limit) if model_data_dir else None
    database.close()
    count = len(ranks)
    return {
        "corpus": "CPython pydoc_data.topics (Python Language Reference)",
        "documents": len(topics()),
        "chunks": chunks,
        "questions": count,
        "recall@1": sum(r == 1 for r in ranks) / count,
        "recall@5": sum(r is not None for r in ranks) / count,
        "mrr": sum(1 / r for r in ranks if r is not None) / count,
        "learn_seconds": round(learn_seconds, 1),
        "misses": misses,
        **({"local_model_answers": answers} if answers else {}),
    }


class PrecomputedEmbedder(Embedder):
    """Query vectors embedded beforehand, so search latency is measured on its own."""

    name = "bench-precomputed"

    def __init__(self, vectors: dict[str, Vectors], dimensions: int) -> None:
        self._vectors = vectors
        self.dimensions = dimensions

    async def embed_batch(self, texts: Sequence[str]) -> Vectors:
        return np.vstack([self._vectors[text] for text in texts])


async def search_latency(
    sizes: Sequence[int], query_vectors: dict[str, Vectors], folder: Path
) -> list[dict[str, Any]]:
    base = chunk_sections(Section(text, heading=name) for name, text in topics().items())
    rng = np.random.default_rng(7)
    questions = list(query_vectors)
    dimensions = len(next(iter(query_vectors.values())))
    rows = []
    for size in sizes:
        database = Database(folder / f"latency-{size}.sqlite3")
        store = KnowledgeStore(database)
        per_document = 1000
        for start in range(0, size, per_document):
            count = min(per_document, size - start)
            chunks = [
                Chunk(f"{base[(start + i) % len(base)].text} [copy {start + i}]", heading="x")
                for i in range(count)
            ]
            vectors = normalise(rng.standard_normal((count, dimensions)).astype(np.float32))
            store.save_document(
                scope=GLOBAL_SCOPE,  # the worst case: the chat may see every chunk
                name=f"doc{start}",
                content_hash=str(start),
                size=0,
                pages=None,
                first_heading=None,
                embedder=PrecomputedEmbedder.name,
                chunks=chunks,
                vectors=vectors,
            )
        library = Library(
            Settings(data_dir=folder), store, PrecomputedEmbedder(query_vectors, dimensions)
        )
        await library.search(questions[0], [GLOBAL_SCOPE, "user:1000"], 5)  # loads the index
        timings = []
        for question in questions * 3:
            started = time.perf_counter()
            await library.search(question, [GLOBAL_SCOPE, "user:1000"], 5)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        rows.append(
            {
                "chunks": size,
                "searches": len(timings),
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
            }
        )
        row = rows[-1]
        print(f"search over {size:>6} chunks: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
        database.close()
    return rows


async def learn_pdf(embedder: Embedder, folder: Path, pages: int) -> dict[str, Any]:
    from fpdf import FPDF

    text = " ".join(normalised(t) for t in topics().values())
    words = text.encode("latin-1", errors="ignore").decode("latin-1").split()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    position = 0
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 5, " ".join(words[position : position + 350]))
        position = (position + 350) % max(len(words) - 350, 1)
    path = folder / "book.pdf"
    path.write_bytes(bytes(pdf.output()))
    database = Database(folder / "pdf.sqlite3")
    library = Library(
        Settings(data_dir=folder, max_document_pages=1000), KnowledgeStore(database), embedder
    )
    started = time.perf_counter()
    result = await library.learn_file(path, admit("book.pdf", None, None), GLOBAL_SCOPE)
    seconds = time.perf_counter() - started
    database.close()
    return {
        "pages": pages,
        "file_mb": round(path.stat().st_size / 2**20, 2),
        "chunks": result.document.chunks,
        "seconds": round(seconds, 1),
        "pages_per_second": round(pages / seconds, 2),
        "chunks_per_second": round(result.document.chunks / seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


async def main(
    sizes: Sequence[int],
    pdf_pages: int,
    run_eval: bool = True,
    answers: bool = False,
    answer_limit: int | None = None,
) -> dict[str, Any]:
    embedder = LocalEmbedder()
    started = time.perf_counter()
    await embedder.warm_up()
    load_seconds = time.perf_counter() - started
    path = RESULTS / "knowledge.json"
    # Stages not run this time keep their last figures.
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results |= {
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "embedder": embedder.name,
        "embedder_load_seconds": round(load_seconds, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if pdf_pages:  # first: its peak memory is the process's peak so far
            results["pdf"] = await learn_pdf(embedder, folder, pdf_pages)
            print(f"learning a {pdf_pages}-page PDF: {results['pdf']}")
        if run_eval:
            quality = await evaluate(
                embedder, folder, Path("data") if answers else None, answer_limit
            )
            earlier = results.get("quality", {}).get("local_model_answers")
            if earlier and "local_model_answers" not in quality:  # kept from an --answers run
                quality["local_model_answers"] = earlier
            results["quality"] = quality
            print(
                f"retrieval on {quality['questions']} questions over {quality['chunks']} "
                f"chunks: recall@1 {quality['recall@1']:.3f}, recall@5 "
                f"{quality['recall@5']:.3f}, MRR {quality['mrr']:.3f}"
            )
            if "local_model_answers" in quality:
                share = quality["local_model_answers"]
                print(
                    f"local model right on {share['right']} of {share['questions']} questions; "
                    f"first words p50/p95 {share['first_piece_s']} s, prompt tokens "
                    f"{share['prompt_tokens']}"
                )
        questions = [item["question"] for item in json.loads(QUESTIONS.read_text())]
        timings = []
        vectors = {}
        for question in questions:
            began = time.perf_counter()
            vectors[question] = await embedder.embed_query(question)
            timings.append((time.perf_counter() - began) * 1000)
        results["query_embedding_ms"] = {
            "p50": round(statistics.median(timings), 1),
            "p95": round(sorted(timings)[int(len(timings) * 0.95) - 1], 1),
        }
        print(f"query embedding: {results['query_embedding_ms']}")
        if sizes:
            results["search"] = await search_latency(sizes, vectors, folder)
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--pdf-pages", type=int, default=300, help="0 skips the PDF")
    parser.add_argument("--no-eval", action="store_true", help="skip the quality evaluation")
    parser.add_argument(
        "--answers", action="store_true", help="also ask the bundled local model (slow)"
    )
    parser.add_argument(
        "--answer-questions", type=int, default=None, help="ask only the first N (default all)"
    )
    args = parser.parse_args()
    random.seed(1)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    asyncio.run(main(sizes, args.pdf_pages, not args.no_eval, args.answers, args.answer_questions))


if __name__ == "__main__":
    cli()
