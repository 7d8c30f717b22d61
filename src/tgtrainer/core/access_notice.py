"""What the log (and `tgtrainer config`) says at start about who may use the bot."""

from __future__ import annotations

import logging

from tgtrainer.core.access import AccessPolicy

log = logging.getLogger("tgtrainer.access")


def access_lines(access: AccessPolicy) -> list[str]:
    """One or two sentences for the operator: open, closed, or waiting for its owner's code."""
    if access.open:
        return ["access: OPEN to everyone who finds the bot (OPEN_ACCESS=true)"]
    code = access.pairing_code()
    if code is not None:
        return [
            "access: closed, and the bot has no admin yet.",
            f"access: send /start {code} to the bot from your Telegram account to become its "
            "admin (a one-time pairing code; it stops working once used)",
        ]
    return [f"access: closed; admins: {', '.join(map(str, access.admins())) or 'none'}"]


def announce_access(access: AccessPolicy) -> None:
    """Log `access_lines` at start: a warning when the bot is open or waits for its owner."""
    lines = access_lines(access)
    level = logging.INFO if len(lines) == 1 and not access.open else logging.WARNING
    for line in lines:
        log.log(level, "%s", line)
