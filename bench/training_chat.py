"""Does the bot keep answering while the model trains? Chat latency idle and during training.

The real bot on the bundled local model answers short questions through the sandbox Bot API
server, first with nothing else running, then while `tgtrainer train start` trains an adapter
on bench.training's 30 facts in the background (the product's own worker: niced, its own
threads). Reported: the median seconds from a message to the bot's final reply, idle and while
training, and their ratio (issue 13's target: at most 2x). The training job is cancelled after.

    python -m bench.training_chat [--runs 7]

Printed and written to bench/results/training_chat.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.chat import RESULTS, TOKEN, start_bot
from bench.local_model import QUESTIONS, _watch
from bench.training import EVAL
from tgtrainer.config import Settings
from tgtrainer.llm.weights import bundled_model_path
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.storage import Database
from tgtrainer.storage.training_jobs import TrainingJob, TrainingJobStore
from tgtrainer.testing.environment import without_product_settings

TRAINING_STARTS_WITHIN_S = 900  # the first run dequantises the weights (about a minute)


def facts_jsonl(path: Path) -> Path:
    """bench.training's facts as corrections, in OpenAI's chat format."""
    facts = json.loads(EVAL.read_text("utf-8"))["facts"]
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": fact["question"]},
                    {"role": "assistant", "content": fact["answer"]},
                ]
            }
        )
        for fact in facts
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


async def reply_seconds(client: SandboxClient, runs: int, first_chat: int) -> list[float]:
    """Seconds from each question to the bot's final reply, one new chat per question."""
    seconds = []
    for index in range(runs):
        after = (await client.events(after=0, timeout=0))["last_seq"]
        sent = time.perf_counter()
        await client.send_text(first_chat + index, QUESTIONS[index % len(QUESTIONS)])
        _, final = await _watch(client, first_chat + index, after)
        seconds.append(final - sent)
    return seconds


async def last_reply(client: SandboxClient, chat_id: int) -> str:
    """The bot's last message in `chat_id`: an answer, not a notice, shows the model ran."""
    events = (await client.events(after=0, timeout=0, chat_id=chat_id))["events"]
    texts = [
        event["message"].get("text", "")
        for event in events
        if event["type"] == "message" and event["message"]["from_bot"]
    ]
    return texts[-1] if texts else ""


async def tgtrainer(env: dict[str, str], *args: str) -> None:
    """Run the `tgtrainer` command line with the bot's settings."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tgtrainer",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
    )
    if await process.wait():
        raise RuntimeError(f"tgtrainer {' '.join(args)} failed")


def latest_job(settings: Settings) -> TrainingJob | None:
    with Database(settings.database_path) as database:
        jobs = TrainingJobStore(database).recent(1)
    return jobs[0] if jobs else None


async def wait_for_training(settings: Settings) -> TrainingJob:
    deadline = time.monotonic() + TRAINING_STARTS_WITHIN_S
    while time.monotonic() < deadline:
        job = latest_job(settings)
        if job is not None and not job.active:
            raise RuntimeError(f"the training job ended before training: {job.message}")
        if job is not None and job.phase == "training" and job.step >= 1:
            return job
        await asyncio.sleep(2)
    raise RuntimeError("training did not start in time")


async def measure(data_dir: Path, runs: int, train_threads: int) -> dict[str, Any]:
    sandbox = SandboxServer(port=0)
    data = facts_jsonl(data_dir / "facts.jsonl")
    with sandbox.serve_in_thread():
        env = without_product_settings()
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.url,
            TELEGRAM_RATE_LIMIT="false",
            LLM_BACKEND="local",
            LLM_MAX_TOKENS="64",
            OPEN_ACCESS="true",  # closed by default: strangers would get the access notice
            TRAIN_THREADS=str(train_threads),
            TGTRAINER_DATA_DIR=str(data_dir),
            LOG_LEVEL="WARNING",
            HF_HUB_OFFLINE="1",
        )
        settings = Settings(data_dir=data_dir)
        async with SandboxClient(sandbox.url) as client:
            process = await start_bot("tgtrainer", env, data_dir / "bot.log", client)
            try:
                await client.send_text(1, "Hello!")  # the first answer also loads the weights
                await client.wait_for_bot_messages(1, after_seq=0, until=bool, timeout=300)
                idle = await reply_seconds(client, runs, 100)
                await tgtrainer(env, "train", "start", "--data", str(data), "-y", "--detach")
                job = await wait_for_training(settings)
                training = await reply_seconds(client, runs, 200)
                sample = await last_reply(client, 200)
                still = latest_job(settings)
                steps = (still.step if still else job.step) - job.step
            finally:
                await tgtrainer(env, "train", "cancel")
                process.terminate()
                process.wait(30)
    options = json.loads(job.options)["train"]
    return {
        "runs": runs,
        "idle_reply_s": idle,
        "training_reply_s": training,
        "idle_p50_s": round(statistics.median(idle), 2),
        "training_p50_s": round(statistics.median(training), 2),
        "ratio": round(statistics.median(training) / statistics.median(idle), 2),
        "training_threads": options["threads"],
        "training_steps_meanwhile": steps,
        "cores": os.cpu_count(),
        "sample_reply": sample,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--train-threads", type=int, default=0, help="TRAIN_THREADS (default 0: the product's)"
    )
    args = parser.parse_args()
    data_root = Path("data")
    with TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        (data_dir / "models").mkdir()
        # the joined GGUF and its dequantised copy are reused from ./data when there
        base = bundled_model_path(data_root)
        for name in (base.name, base.stem + ".trainable"):
            if (data_root / "models" / name).exists():
                (data_dir / "models" / name).symlink_to((data_root / "models" / name).resolve())
        bundled_model_path(data_dir)
        figures = asyncio.run(measure(data_dir, args.runs, args.train_threads))
    print(
        f"reply p50 idle {figures['idle_p50_s']} s, while training {figures['training_p50_s']} s"
        f" ({figures['ratio']}x; training on {figures['training_threads']} of"
        f" {figures['cores']} cores, {figures['training_steps_meanwhile']} steps meanwhile)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "training_chat.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
