"""Debian's chromium driven by Playwright, started as these machines need it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# No network here and root: no sandbox, no background connections; never `playwright install`.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A microphone that plays a beep, allowed without asking: MediaRecorder records for real.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


# Playwright's 5 s for an `expect` is short for a bot answering on a busy 2-core machine.
EXPECT_TIMEOUT_MS = 30_000


@contextmanager
def chromium(width: int = 1200, height: int = 820) -> Iterator[BrowserContext]:
    """A fresh Chromium with a new, empty profile."""
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing: `make install` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()
