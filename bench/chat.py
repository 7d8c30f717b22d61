"""Chat benchmark: tgtrainer against a bare python-telegram-bot + openai baseline.

Both bots run as processes against the sandbox Bot API server and the fake OpenAI server (which
answers instantly), both in this process on 127.0.0.1. For 1, 10 and 100 concurrent chats, each
chat sends its next message when the answer to the last one is visible. Printed and written to
bench/results/chat.json: messages/s, latency percentiles from the update to the full reply,
Bot API calls and bot CPU milliseconds per message, and the bot's peak memory; each the median of
`--repeats` runs, the two bots taking turns.

    python -m bench.chat [--messages 200] [--repeats 3] [--concurrency 1,10,100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import psutil

from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer

TOKEN = "123456:bench-token"
RESULTS = Path(__file__).parent / "results"


@dataclass
class Figures:
    bot: str
    chats: int
    messages: int
    messages_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    api_calls_per_message: float
    cpu_ms_per_message: float
    peak_rss_mib: float


class ReplyWatcher:
    """One long-poll on the sandbox's event log, waking the chat that got its answer."""

    def __init__(self, client: SandboxClient) -> None:
        self._client = client
        self._waiting: dict[int, tuple[str, asyncio.Future[float]]] = {}
        self._seq = 0

    async def start(self) -> None:
        self._seq = (await self._client.events(after=0, timeout=0))["last_seq"]
        self._task = asyncio.create_task(self._watch())

    def expect(self, chat_id: int, text: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = (text, future)
        return future

    async def _watch(self) -> None:
        while True:
            batch = await self._client.events(after=self._seq, timeout=5)
            now = time.perf_counter()
            self._seq = batch["last_seq"]
            for event in batch["events"]:
                message = event.get("message") or {}
                waiting = self._waiting.get(event["chat_id"])
                if event["type"] == "message" and waiting and message.get("text") == waiting[0]:
                    del self._waiting[event["chat_id"]]
                    waiting[1].set_result(now)

    async def stop(self) -> None:
        self._task.cancel()


def launch(kind: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    module = "tgtrainer" if kind == "tgtrainer" else "bench.baseline_bot"
    arguments = [sys.executable, "-m", module] + (["run"] if kind == "tgtrainer" else [])
    with log.open("wb") as out:
        return subprocess.Popen(arguments, env=env, stdout=out, stderr=subprocess.STDOUT)


async def start_bot(
    kind: str, env: dict[str, str], log: Path, client: SandboxClient
) -> subprocess.Popen[bytes]:
    """Start a bot process; it is ready when it polls the sandbox for updates."""
    polls_before = (await client.stats())["calls"].get("getupdates", 0)
    process = launch(kind, env, log)
    deadline = time.monotonic() + 60
    while (await client.stats())["calls"].get("getupdates", 0) <= polls_before:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{kind} did not start; see {log}")
        await asyncio.sleep(0.05)
    return process


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return psutil.Process(pid).memory_info().rss / 2**20


async def drive(
    client: SandboxClient, chats: list[int], messages_per_chat: int, tag: str
) -> list[float]:
    watcher = ReplyWatcher(client)
    await watcher.start()
    latencies: list[float] = []

    async def one_chat(chat_id: int) -> None:
        for index in range(messages_per_chat):
            text = f"{tag} message {index} from chat {chat_id}"
            answered = watcher.expect(chat_id, f"You said: {text}")
            sent = time.perf_counter()
            await client.send_text(chat_id, text)
            latencies.append(await asyncio.wait_for(answered, 60) - sent)

    await asyncio.gather(*(one_chat(chat) for chat in chats))
    await watcher.stop()
    return latencies


async def measure(
    kind: str,
    sandbox: SandboxServer,
    fake: FakeOpenAIServer,
    chats: int,
    messages_per_chat: int,
    data_dir: Path,
) -> Figures:
    env = fake_model_environment(
        fake.base_url,
        data_dir / kind,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=sandbox.url,
        TELEGRAM_RATE_LIMIT="false",
        LOG_LEVEL="WARNING",
        # Quotas are checked on every message, as for any user, but set out of this run's reach
        # (one chat sends hundreds of messages with a growing history).
        QUOTA_MESSAGES="1000000",
        QUOTA_TOKENS="1000000000",
        # Speech as a user gets it by default (local Whisper and Piper): a text-only run must
        # not pay for models it never uses, and this is where it would show.
    )
    async with SandboxClient(sandbox.url) as client:
        process = await start_bot(kind, env, data_dir / f"{kind}.log", client)
        try:
            chat_ids = [
                10_000 * chats + i + (500_000 if kind == "baseline" else 0) for i in range(chats)
            ]
            await drive(client, chat_ids, 1, f"{kind} warm-up")
            calls_before = (await client.stats())["total"]
            cpu = psutil.Process(process.pid).cpu_times()
            started = time.perf_counter()
            latencies = await drive(client, chat_ids, messages_per_chat, kind)
            elapsed = time.perf_counter() - started
            cpu_after = psutil.Process(process.pid).cpu_times()
            calls = (await client.stats())["total"] - calls_before
            count = len(latencies)
            quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
            return Figures(
                bot=kind,
                chats=chats,
                messages=count,
                messages_per_second=count / elapsed,
                p50_ms=statistics.median(latencies) * 1000,
                p95_ms=quantiles[94] * 1000,
                p99_ms=quantiles[98] * 1000,
                api_calls_per_message=calls / count,
                cpu_ms_per_message=(cpu_after.user + cpu_after.system - cpu.user - cpu.system)
                * 1000
                / count,
                peak_rss_mib=peak_rss_mib(process.pid),
            )
        finally:
            process.terminate()
            process.wait(30)


def report(figures: list[Figures]) -> str:
    lines = [
        f"{'bot':<10}{'chats':>6}{'msgs':>6}{'msg/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'calls/msg':>11}{'cpu ms/msg':>12}{'peak MiB':>10}{'ratio':>7}"
    ]
    baseline = {f.chats: f for f in figures if f.bot == "baseline"}
    for f in figures:
        ratio = (
            f.messages_per_second / baseline[f.chats].messages_per_second
            if f.chats in baseline
            else 1.0
        )
        lines.append(
            f"{f.bot:<10}{f.chats:>6}{f.messages:>6}{f.messages_per_second:>9.1f}{f.p50_ms:>9.1f}"
            f"{f.p95_ms:>9.1f}{f.p99_ms:>9.1f}{f.api_calls_per_message:>11.2f}"
            f"{f.cpu_ms_per_message:>12.2f}{f.peak_rss_mib:>10.1f}{ratio:>7.2f}"
        )
    return "\n".join(lines)


def medians(runs: list[Figures]) -> Figures:
    """Each figure's median over repeated runs of one bot at one concurrency."""
    numbers = {
        name: statistics.median(getattr(run, name) for run in runs)
        for name, value in asdict(runs[0]).items()
        if isinstance(value, float)
    }
    return replace(runs[0], messages=sum(run.messages for run in runs), **numbers)


async def main_async(args: argparse.Namespace) -> list[Figures]:
    figures: list[Figures] = []
    sandbox = SandboxServer(port=0)
    fake = FakeOpenAIServer()
    with sandbox.serve_in_thread(), fake.serve_in_thread(), TemporaryDirectory() as tmp:
        for chats in args.concurrency:
            per_chat = max(2, args.messages // chats) if chats > 1 else args.messages
            runs: dict[str, list[Figures]] = {"baseline": [], "tgtrainer": []}
            for repeat in range(args.repeats):  # the two bots take turns, so drift hits both
                for kind, done in runs.items():
                    data_dir = Path(tmp) / f"{chats}-{repeat}"
                    data_dir.mkdir(exist_ok=True)
                    done.append(await measure(kind, sandbox, fake, chats, per_chat, data_dir))
                    print(report([done[-1]]).splitlines()[-1], flush=True)
            figures += [medians(runs["baseline"]), medians(runs["tgtrainer"])]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per run in all")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 100]
    )
    args = parser.parse_args()
    figures = asyncio.run(main_async(args))
    print(report(figures))
    RESULTS.mkdir(exist_ok=True)
    payload: dict[str, Any] = {"chat": [asdict(f) for f in figures]}
    (RESULTS / "chat.json").write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
