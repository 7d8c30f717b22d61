"""Logging set-up: one format, and no secret ever printed (the bot token is in every API URL)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote


class RedactingFormatter(logging.Formatter):
    """Replaces each secret in the finished line, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted(_forms(secrets), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "<redacted>")
        return line


def _forms(secrets: Iterable[str]) -> set[str]:
    """Each secret as it may be written: whole, URL-quoted, and a bot token's part after the
    colon (the bot id in front of it is public)."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update({secret, quote(secret, safe="")})
        _, colon, after = secret.partition(":")
        if colon and len(after) >= 8:
            forms.add(after)
    return forms


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """One handler on the root logger, at `level`, that redacts `secrets` from every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token; httpcore and the
    # OpenAI SDK log requests (headers, bodies) at DEBUG. Kept at WARNING even when LOG_LEVEL is
    # DEBUG: what they would add is the traffic itself, and the redaction is the second line.
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
