"""Load benchmark: many users at once against the real bot, with the access check on.

`--users` simulated people (each in their own private chat, every one on ALLOWED_USERS) send
messages at the same time for `--duration` seconds; each sends the next as soon as the answer to
the last one is visible. The bot runs as a process (`tgtrainer run`) against the sandbox Bot API
server and the fake OpenAI server answering instantly, both in this process on 127.0.0.1 (the
harness of `bench.chat`). Printed and written to bench/results/load.json: messages/s, latency
p50/p95/p99/max from sending to the full answer being visible, errors (answers that never came
or were wrong, failed sends, error lines in the bot's log) and the bot's peak memory.

    python -m bench.load [--users 200] [--duration 60] [--answer-timeout 30] [--rate-limit]
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

import psutil

from bench.chat import RESULTS, TOKEN, ReplyWatcher, peak_rss_mib, start_bot
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer

FIRST_USER = 3_000_000


@dataclass
class LoadFigures:
    users: int
    duration_s: float
    rate_limit: bool
    messages_sent: int
    answered: int
    errors: int
    messages_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    peak_rss_mib: float
    bot_cpu_s: float
    bot_log_errors: int


@dataclass
class Tally:
    sent: int = 0
    errors: int = 0


async def one_user(
    client: SandboxClient,
    watcher: ReplyWatcher,
    user_id: int,
    until: float,
    answer_timeout: float,
    latencies: list[float],
    tally: Tally,
) -> None:
    """Send, wait for the answer, send the next, until `until`."""
    index = 0
    while time.perf_counter() < until:
        text = f"load message {index} from user {user_id}"
        answered = watcher.expect(user_id, f"You said: {text}")
        sent = time.perf_counter()
        tally.sent += 1
        try:
            await client.send_text(user_id, text)
            latencies.append(await asyncio.wait_for(answered, answer_timeout) - sent)
        except Exception:  # a failed send or an answer that never came: counted, not fatal
            tally.errors += 1
        index += 1


async def measure(args: argparse.Namespace, data_dir: Path) -> LoadFigures:
    users = [FIRST_USER + i for i in range(args.users)]
    sandbox = SandboxServer(port=0)
    fake = FakeOpenAIServer()
    with sandbox.serve_in_thread(), fake.serve_in_thread():
        env = fake_model_environment(
            fake.base_url,
            data_dir,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.url,
            TELEGRAM_RATE_LIMIT="true" if args.rate_limit else "false",
            OPEN_ACCESS="false",  # the allow-list is checked on every update
            ALLOWED_USERS=",".join(str(user) for user in users),
            # Quotas are checked on every message, set out of this run's reach.
            QUOTA_MESSAGES="1000000",
            QUOTA_TOKENS="1000000000",
            LOG_LEVEL="WARNING",
        )
        log = data_dir / "bot.log"
        connections = args.users + 10  # each user's send, and the watcher's long poll
        async with SandboxClient(
            sandbox.url, timeout=args.answer_timeout, connections=connections
        ) as client:
            process = await start_bot("tgtrainer", env, log, client)
            try:
                watcher = ReplyWatcher(client)
                await watcher.start()
                latencies: list[float] = []
                tally = Tally()
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        one_user(
                            client,
                            watcher,
                            user,
                            started + args.duration,
                            args.answer_timeout,
                            latencies,
                            tally,
                        )
                        for user in users
                    )
                )
                elapsed = time.perf_counter() - started
                await watcher.stop()
                cpu = psutil.Process(process.pid).cpu_times()
                peak = peak_rss_mib(process.pid)
            finally:
                process.terminate()
                process.wait(60)
    errors_logged = sum(
        1 for line in log.read_text(errors="replace").splitlines() if "ERROR" in line
    )
    quantiles = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else [0.0] * 99
    )
    return LoadFigures(
        users=args.users,
        duration_s=round(elapsed, 1),
        rate_limit=args.rate_limit,
        messages_sent=tally.sent,
        answered=len(latencies),
        errors=tally.errors,
        messages_per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        p95_ms=round(quantiles[94] * 1000, 1),
        p99_ms=round(quantiles[98] * 1000, 1),
        max_ms=round(max(latencies, default=0.0) * 1000, 1),
        peak_rss_mib=round(peak, 1),
        bot_cpu_s=round(cpu.user + cpu.system, 1),
        bot_log_errors=errors_logged,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated users at once")
    parser.add_argument("--duration", type=float, default=60, help="seconds of sending")
    parser.add_argument(
        "--answer-timeout", type=float, default=30, help="seconds before an answer is an error"
    )
    parser.add_argument(
        "--rate-limit", action="store_true", help="keep Telegram's 30 messages/s limit on"
    )
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        figures = asyncio.run(measure(args, Path(tmp)))
    for name, value in asdict(figures).items():
        print(f"{name:>20}: {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps({"load": asdict(figures)}, indent=2))


if __name__ == "__main__":
    main()
