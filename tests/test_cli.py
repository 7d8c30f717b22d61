"""The command line: configuration errors are one line and exit code 2; secrets stay masked."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tgtrainer.cli import main
from tgtrainer.sandbox import SandboxServer
from tgtrainer.testing.environment import without_product_settings


def clean_env(**values: str) -> dict[str, str]:
    env = without_product_settings()
    env.update(values)
    return env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tgtrainer", *args],
        env=clean_env(TGTRAINER_DATA_DIR=str(tmp_path), **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LLM_BACKEND", "gpt"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("LLM_CONTEXT_TOKENS", "lots"),
        ("LOG_LEVEL", "loud"),
        ("ALLOWED_USERS", "alice,bob"),
        ("WEBHOOK_URL", "example.org/hook"),
        ("WEBHOOK_PORT", "99999"),
    ],
)
def test_an_invalid_value_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_cli(tmp_path, "run", **{variable: value})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_a_token_says_where_to_get_one(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "BotFather" in result.stderr


def test_an_unreachable_bot_api_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN="123:secret-token-value",
        TELEGRAM_API_URL="http://127.0.0.1:9",
        # Network errors are tried again for TELEGRAM_RETRY_SECONDS (60 by default), at start
        # too: a short window keeps the test from racing its own time-out.
        TELEGRAM_RETRY_SECONDS="2",
        LLM_BACKEND="openai",
        OPENAI_API_KEY="sk-x",
    )
    assert result.returncode == 2
    assert "cannot reach the Bot API at http://127.0.0.1:9" in result.stderr
    assert "secret-token-value" not in result.stderr + result.stdout


def test_a_token_the_bot_api_refuses_is_one_clear_line(tmp_path: Path) -> None:
    server = SandboxServer(port=0, tokens=["123:the-right-token"])
    with server.serve_in_thread():
        result = run_cli(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN="123:secret-wrong-token",
            TELEGRAM_API_URL=server.url,
            LLM_BACKEND="openai",
            OPENAI_API_KEY="sk-x",
        )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN: Telegram does not accept this token" in result.stderr
    assert "secret-wrong-token" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_bad_webhook_option_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path, "run", "--webhook", "example.org/hook", TELEGRAM_BOT_TOKEN="123:secret-token"
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--webhook" in result.stderr and "WEBHOOK_URL" in result.stderr


def test_a_webhook_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    server = SandboxServer(port=0, tokens=["123:the-right-token"])
    with socket.socket() as taken, server.serve_in_thread():
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            tmp_path,
            "run",
            "--webhook",
            f"http://127.0.0.1:{port}/hook",
            TELEGRAM_BOT_TOKEN="123:the-right-token",
            TELEGRAM_API_URL=server.url,
            WEBHOOK_PORT=str(port),
            LLM_BACKEND="openai",
            OPENAI_API_KEY="sk-x",
        )
        assert server.state.webhook is None  # never told to post where nothing listens
    assert result.returncode == 2
    assert "WEBHOOK_LISTEN/WEBHOOK_PORT: cannot listen" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_prints_every_variable_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:very-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-key")
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0
    assert "very-secret" not in result.output
    assert "TELEGRAM_BOT_TOKEN=123...en" in result.output
    for variable in ("LLM_BACKEND", "TGTRAINER_DATA_DIR", "SYSTEM_PROMPT", "OPENAI_BASE_URL"):
        assert f"{variable}=" in result.output
