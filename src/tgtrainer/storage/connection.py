"""The database connection: SQLite's "database or disk is full" raised as `StorageFullError`.

Every repository writes through `Database.connection`, an instance of `GuardedConnection`, so
the one translation here covers them all: statements, scripts and commits (also the commit of
`with connection:`, which sqlite3 runs without calling `commit`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Literal

from tgtrainer.storage.full import StorageFullError, is_storage_full


class GuardedConnection(sqlite3.Connection):
    """A `sqlite3.Connection` whose writes raise `StorageFullError` when storage is full."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        with _full_told():
            return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        with _full_told():
            return super().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        with _full_told():
            return super().executescript(sql_script)

    def commit(self) -> None:
        with _full_told():
            super().commit()

    def __exit__(
        self,
        type: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Literal[False]:
        with _full_told():
            return super().__exit__(type, value, traceback)


@contextlib.contextmanager
def _full_told() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if is_storage_full(error):
            raise StorageFullError(f"{error} ({error.sqlite_errorname})") from error
        raise
