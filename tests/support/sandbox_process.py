"""`tgtrainer sandbox` as a real process: the sandbox server, the page and the bot in one."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer

_ADDRESS = re.compile(r"open (http://\S+) in your browser")


def sandbox_environment(
    fake_openai: FakeOpenAIServer, data_dir: Path, **extra: str
) -> dict[str, str]:
    """The environment of a person who tries the sandbox, with the fake model as the backend."""
    defaults = {
        "LLM_TIMEOUT": "5",
        "LLM_MAX_RETRIES": "1",
        "LOG_LEVEL": "INFO",
        "STREAM_INTERVAL_PRIVATE": "0.2",
        "STREAM_INTERVAL_GROUP": "0.5",
    }
    return fake_model_environment(fake_openai.base_url, data_dir, **{**defaults, **extra})


class SandboxProcess:
    """Runs `python -m tgtrainer sandbox ARGS`; `url` is the address it printed."""

    def __init__(self, env: dict[str, str], log_dir: Path, *args: str) -> None:
        self.env = env
        self.args = args or ("--port", "0")
        self.out_path = log_dir / "sandbox.out"
        self.err_path = log_dir / "sandbox.err"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60) -> str:
        """Start it and wait until the page answers and the bot polls; returns the page's URL."""
        with self.out_path.open("wb") as out, self.err_path.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tgtrainer", "sandbox", *self.args],
                env=self.env,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + timeout
        while not (match := _ADDRESS.search(self.out_path.read_text())):
            self._check_alive(deadline)
            time.sleep(0.05)
        self.url = match.group(1)
        while not self._bot_connected():
            self._check_alive(deadline)
            time.sleep(0.1)
        return self.url

    def _check_alive(self, deadline: float) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the sandbox exited at start:\n{self.log()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sandbox did not start:\n{self.log()}")

    def _bot_connected(self) -> bool:
        try:
            status = httpx.get(f"{self.url}/sandbox/api/status", timeout=5).json()
        except httpx.HTTPError:
            return False
        return bool(status["bot"]["connected"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log(self) -> str:
        parts = [
            p.read_text(errors="replace") for p in (self.out_path, self.err_path) if p.exists()
        ]
        return "\n".join(parts)
