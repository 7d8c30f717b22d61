"""The log redacts secrets in every form they can take in a line, at every level."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tgtrainer.logs import configure_logging

TOKEN = "123456:AAH-secret_part-of-the-token"
KEY = "sk-proj/with+odd=chars"


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:], root.level = handlers, level


def test_secrets_are_redacted_whole_quoted_and_by_the_tokens_secret_part(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG", secrets=[TOKEN, KEY, ""])
    log = logging.getLogger("telegram.ext.ExtBot")
    log.debug("Set Bot API URL: http://127.0.0.1/bot%s", TOKEN)
    log.debug("quoted %s and %s", quote(TOKEN, safe=""), quote(KEY, safe=""))
    log.debug("the part after the colon alone: %s", TOKEN.split(":")[1])
    try:
        raise RuntimeError(f"Authorization: Bearer {KEY}")
    except RuntimeError:
        log.exception("failed")
    printed = capsys.readouterr().err
    assert printed.count("<redacted>") >= 5
    for secret in (TOKEN, TOKEN.split(":")[1], KEY, quote(KEY, safe="")):
        assert secret not in printed


def test_http_client_loggers_stay_quiet_at_debug() -> None:
    configure_logging("DEBUG")
    for name in ("httpx", "httpcore", "openai"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
    assert logging.getLogger("telegram").isEnabledFor(logging.DEBUG)
