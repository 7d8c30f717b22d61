"""Local model benchmark: first streamed words in the chat, and decoding speed.

Two views of the bundled llama.cpp model (Qwen2.5-Coder-0.5B Q4_K_M, run as its Q8_0 copy):
- through the real bot process and the sandbox Bot API server: seconds from a short message being
  sent to the first streamed words being visible (a draft in a private chat), and to the final
  message;
- at the model itself: time to the first piece and pieces (tokens) per second while decoding.

Printed and written to bench/results/local_model.json; medians over `--runs` questions.

    python -m bench.local_model [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.chat import RESULTS, TOKEN, start_bot
from tgtrainer.config import Settings
from tgtrainer.llm import ChatMessage
from tgtrainer.llm.local import LlamaCppChatModel
from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.environment import without_product_settings

QUESTIONS = [
    "What is the capital of France?",
    "Name three primary colours.",
    "What does HTTP stand for?",
    "How many days are in a week?",
    "What is 12 times 12?",
    "Which planet is closest to the sun?",
    "What language is spoken in Brazil?",
]


@dataclass
class LocalFigures:
    runs: int
    bot_first_words_s: float
    bot_full_reply_s: float
    model_load_s: float
    model_first_piece_s: float
    model_tokens_per_second: float


async def through_the_bot(data_dir: Path, runs: int) -> tuple[float, float]:
    """Median seconds to the first visible draft and to the final message, over `runs`."""
    sandbox = SandboxServer(port=0)
    first_words: list[float] = []
    full_reply: list[float] = []
    with sandbox.serve_in_thread():
        env = without_product_settings()
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.url,
            TELEGRAM_RATE_LIMIT="false",
            LLM_BACKEND="local",
            LLM_MAX_TOKENS="64",
            OPEN_ACCESS="true",  # closed by default: strangers would get the access notice
            TGTRAINER_DATA_DIR=str(data_dir),
            LOG_LEVEL="WARNING",
            HF_HUB_OFFLINE="1",
        )
        async with SandboxClient(sandbox.url) as client:
            process = await start_bot("tgtrainer", env, data_dir / "bot.log", client)
            try:
                await client.send_text(1, "Hello!")  # the first answer also loads the weights
                await client.wait_for_bot_messages(1, after_seq=0, until=bool, timeout=300)
                for index in range(runs):
                    chat_id = 100 + index
                    after = (await client.events(after=0, timeout=0))["last_seq"]
                    sent = time.perf_counter()
                    await client.send_text(chat_id, QUESTIONS[index % len(QUESTIONS)])
                    first, final = await _watch(client, chat_id, after)
                    first_words.append(first - sent)
                    full_reply.append(final - sent)
            finally:
                process.terminate()
                process.wait(30)
    return statistics.median(first_words), statistics.median(full_reply)


async def _watch(client: SandboxClient, chat_id: int, after: int) -> tuple[float, float]:
    """When the first words (draft or message) and the final message became visible."""
    first: float | None = None
    while True:
        batch = await client.events(after=after, timeout=60, chat_id=chat_id)
        now = time.perf_counter()
        after = batch["last_seq"]
        for event in batch["events"]:
            from_bot = event["type"] == "draft" or (
                event["type"] == "message" and event["message"]["from_bot"]
            )
            if from_bot and first is None:
                first = now
            if from_bot and event["type"] == "message":
                return first or now, now


def at_the_model(data_dir: Path, runs: int) -> tuple[float, float, float]:
    """Load seconds, median seconds to the first piece, median pieces per second after it."""
    settings = Settings(llm_max_tokens=128, data_dir=data_dir)
    model = LlamaCppChatModel(settings, bundled_model_path(data_dir))

    async def measure() -> tuple[float, float, float]:
        loaded = time.perf_counter()
        await model.warm_up()
        load_s = time.perf_counter() - loaded
        first_pieces: list[float] = []
        speeds: list[float] = []
        for index in range(runs):
            prompt = [ChatMessage("user", QUESTIONS[index % len(QUESTIONS)] + " Explain.")]
            started = time.perf_counter()
            first_at: float | None = None
            pieces = 0
            async for _ in model.stream(prompt):
                if first_at is None:
                    first_at = time.perf_counter()
                pieces += 1
            ended = time.perf_counter()
            assert first_at is not None
            first_pieces.append(first_at - started)
            if pieces > 1:
                speeds.append((pieces - 1) / (ended - first_at))
        await model.aclose()
        return load_s, statistics.median(first_pieces), statistics.median(speeds)

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        bundled_model_path(data_dir)  # joined once, outside every timing
        load_s, first_piece_s, tokens_per_s = at_the_model(data_dir, args.runs)
        first_words_s, full_s = asyncio.run(through_the_bot(data_dir, args.runs))
    figures = LocalFigures(
        runs=args.runs,
        bot_first_words_s=first_words_s,
        bot_full_reply_s=full_s,
        model_load_s=load_s,
        model_first_piece_s=first_piece_s,
        model_tokens_per_second=tokens_per_s,
    )
    for name, value in asdict(figures).items():
        print(f"{name:<26}{value:>10.3f}" if isinstance(value, float) else f"{name:<26}{value:>10}")
    RESULTS.mkdir(exist_ok=True)
    payload: dict[str, Any] = {"local_model": asdict(figures)}
    (RESULTS / "local_model.json").write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
