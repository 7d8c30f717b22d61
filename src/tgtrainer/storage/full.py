"""A full disk (or the database's size cap, `DATABASE_MAX_MB`) told as one clear sentence.

SQLite says SQLITE_FULL both when the disk is full and when `PRAGMA max_page_count` is reached;
the operating system says ENOSPC when a file in the data directory cannot grow. Both become a
`StorageFullError`: the user hears that nothing was kept, the operator reads an error in the log.
"""

from __future__ import annotations

import errno
import sqlite3

from tgtrainer.errors import UserFacingError


class StorageFullError(UserFacingError):
    """The disk of the data directory is full, or the database reached `DATABASE_MAX_MB`."""

    user_message = (
        "My storage is full, so I could not keep this. The bot's owner needs to free some space."
    )
    operator_alert = True


def is_storage_full(error: BaseException) -> bool:
    """Whether `error` is SQLite's SQLITE_FULL or the system's "no space left on device"."""
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorname", None) == "SQLITE_FULL"
    return isinstance(error, OSError) and error.errno == errno.ENOSPC


def as_storage_full(error: BaseException | None) -> BaseException | None:
    """`error` as a `StorageFullError` (caused by it) when it says the storage is full, else
    `error` itself; for the boundary that tells the user (files written in the data directory)."""
    if error is None or isinstance(error, UserFacingError) or not is_storage_full(error):
        return error
    full = StorageFullError(f"{type(error).__name__}: {error}")
    full.__cause__ = error
    return full
