"""Opening the SQLite database: WAL mode, foreign keys, an optional size cap, migrations applied
on open. A full disk or the cap reached raises `StorageFullError` (see `storage.connection`)."""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from types import TracebackType

from tgtrainer.storage.connection import GuardedConnection
from tgtrainer.storage.migrations import migrate


class Database:
    """One connection to the product's SQLite file, migrated on open.

    Queries are short (indexed, one chat at a time) so they run on the event loop's thread; in WAL
    mode with synchronous=NORMAL a commit does not wait for the disk, and a crash loses at most the
    last transactions, never the file's consistency.
    """

    def __init__(self, path: Path, *, max_mb: float = 0) -> None:
        """`max_mb`: the file may not grow past this many MB (0: no cap); growing past it fails
        as a full disk does, with `StorageFullError` (`DATABASE_MAX_MB`)."""
        self.path = path
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(
            str(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=30,
            factory=GuardedConnection,
        )
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA foreign_keys=ON")
        if max_mb > 0:
            page_size = int(self.connection.execute("PRAGMA page_size").fetchone()[0])
            pages = max(1, math.floor(max_mb * 2**20 / page_size))
            self.connection.execute(f"PRAGMA max_page_count = {pages}")
        # isolation_level=None is autocommit; `with connection:` still needs explicit BEGIN.
        self.connection.isolation_level = "DEFERRED"
        self.applied_migrations = migrate(self.connection)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def set_chat_column(
    connection: sqlite3.Connection, table: str, chat_id: int, column: str, value: object
) -> None:
    """Set one column of a per-chat settings row (`chat_id` key, `updated_at`), creating the row.

    `table` and `column` are literal names from the repositories, never user input.
    """
    with connection:
        connection.execute(
            f"""INSERT INTO {table} (chat_id, {column}, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(chat_id) DO UPDATE SET {column} = excluded.{column},
                    updated_at = excluded.updated_at""",
            (chat_id, value, time.time()),
        )
