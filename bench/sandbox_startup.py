"""Sandbox start-up benchmark: from `tgtrainer sandbox` to a page that answers.

Runs the real command (the default local model, nothing faked) in a fresh data directory, and
measures from the moment the process is started: the page answering (GET / is 200), the bot
polling, the local chat model loaded (the page's status says "ready"), and the first answer to a
message. The first run joins the bundled model into the data directory (once per machine); the
next runs reuse it, as every later start does. Also weighs the page (HTML + CSS + JS).
Printed and written to bench/results/sandbox_startup.json.

    python -m bench.sandbox_startup [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from tgtrainer.sandbox import SandboxClient
from tgtrainer.sandbox.page import page_files
from tgtrainer.testing.environment import without_product_settings

RESULTS = Path(__file__).parent / "results"
PAGE_BUDGET = 200 * 1024
TARGET_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(data_dir: Path) -> dict[str, str]:
    env = without_product_settings()
    env.update(TGTRAINER_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING", HF_HUB_OFFLINE="1")
    return env


async def first_answer(url: str, started: float) -> float:
    async with SandboxClient(url, timeout=120) as client:
        after = (await client.events(after=0, timeout=0))["last_seq"]
        await client.send_text(1001, "Say hello in three words.", first_name="Bench")
        await client.wait_for_bot_messages(
            1001, after_seq=after, until=lambda fresh: bool(fresh), timeout=180
        )
    return time.perf_counter() - started


def one_run(data_dir: Path, log: Path) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tgtrainer", "sandbox", "--port", str(port)],
            env=environment(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    marks: dict[str, float] = {}
    try:
        with httpx.Client(timeout=5) as http:
            while "model_ready_s" not in marks:
                if process.poll() is not None:
                    raise RuntimeError(f"the sandbox exited: see {log}")
                if time.perf_counter() - started > 300:
                    raise TimeoutError(f"the sandbox is not ready after 300 s: see {log}")
                try:
                    if "page_s" not in marks and http.get(url).status_code == 200:
                        marks["page_s"] = time.perf_counter() - started
                    if "page_s" in marks:
                        status = http.get(f"{url}/sandbox/api/status").json()
                        now = time.perf_counter() - started
                        if status["bot"]["connected"]:
                            marks.setdefault("bot_polling_s", now)
                        if status["model"]["state"] == "ready":
                            marks["model_ready_s"] = now
                        elif status["model"]["state"] == "failed":
                            raise RuntimeError(f"the model failed to load: {status['model']}")
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        marks["first_answer_s"] = asyncio.run(first_answer(url, started))
    finally:
        process.send_signal(signal.SIGTERM)
        marks["exit_code"] = process.wait(60)
    return marks


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = ("page_s", "bot_polling_s", "model_ready_s", "first_answer_s")
    return {f"median_{key}": round(statistics.median(r[key] for r in runs), 3) for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs after the first (model joined)")
    args = parser.parse_args()
    weights = {name: len(data) for name, data in sorted(page_files().items())}
    load_before = os.getloadavg()[0]
    with TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        log = Path(tmp) / "sandbox.log"
        first = one_run(data_dir, log)
        print(f"first start (joins the bundled model): {first}", flush=True)
        runs = []
        for index in range(args.runs):
            runs.append(one_run(data_dir, log))
            print(f"start {index + 1}: {runs[-1]}", flush=True)
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "target_page_s": TARGET_SECONDS,
        "first_start": first,
        "starts": runs,
        **summary(runs),
        "page_bytes": weights,
        "page_total_bytes": sum(weights.values()),
        "page_budget_bytes": PAGE_BUDGET,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sandbox_startup.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("starts",)}, indent=2))


if __name__ == "__main__":
    main()
