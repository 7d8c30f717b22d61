"""Offline fine-tuning jobs: what `train start` asked for and how far its worker got.

The worker process updates its row as it goes; `train status`, `train cancel` and a restarted
bot read it. A job is active while `queued` or `running`; every other state is final.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tgtrainer.storage.database import Database

ACTIVE_STATES = ("queued", "running")
_COLUMNS = (
    "id, state, data_path, validation_path, options, pid, step, total, loss, seconds_left,"
    " phase, message, adapter_id, cancel_requested, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class TrainingJob:
    id: int
    state: str
    data_path: str
    validation_path: str | None
    options: str  # JSON
    pid: int | None
    step: int
    total: int
    loss: float | None
    seconds_left: float | None
    phase: str
    message: str | None
    adapter_id: str | None
    cancel_requested: bool
    created_at: float
    updated_at: float

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def _job(row: Any) -> TrainingJob:
    values = list(tuple(row))
    values[13] = bool(values[13])
    return TrainingJob(*values)


class TrainingJobStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def create(self, data_path: str, validation_path: str | None, options: str) -> TrainingJob:
        now = time.time()
        with self._db:
            cursor = self._db.execute(
                """INSERT INTO training_jobs (data_path, validation_path, options, created_at,
                       updated_at) VALUES (?, ?, ?, ?, ?)""",
                (data_path, validation_path, options, now, now),
            )
        assert cursor.lastrowid is not None
        job = self.get(cursor.lastrowid)
        assert job is not None
        return job

    def get(self, job_id: int) -> TrainingJob | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM training_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return None if row is None else _job(row)

    def recent(self, limit: int = 10) -> list[TrainingJob]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM training_jobs ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_job(row) for row in rows]

    def active(self) -> list[TrainingJob]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM training_jobs WHERE state IN (?, ?) ORDER BY id",
            ACTIVE_STATES,
        ).fetchall()
        return [_job(row) for row in rows]

    def mark_running(self, job_id: int, pid: int) -> None:
        self._set(job_id, state="running", pid=pid)

    def progress(
        self,
        job_id: int,
        *,
        phase: str,
        step: int,
        total: int,
        loss: float | None,
        seconds_left: float | None,
    ) -> None:
        self._set(job_id, phase=phase, step=step, total=total, loss=loss, seconds_left=seconds_left)

    def finish(self, job_id: int, state: str, message: str, adapter_id: str | None = None) -> None:
        self._set(job_id, state=state, message=message, adapter_id=adapter_id, pid=None)

    def request_cancel(self, job_id: int) -> None:
        self._set(job_id, cancel_requested=1)

    def cancel_requested(self, job_id: int) -> bool:
        row = self._db.execute(
            "SELECT cancel_requested FROM training_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return bool(row and row[0])

    def _set(self, job_id: int, **values: object) -> None:
        # the keys are literal column names from this class, never user input
        assignments = ", ".join(f"{column} = ?" for column in values)
        with self._db:
            self._db.execute(
                f"UPDATE training_jobs SET {assignments}, updated_at = ? WHERE id = ?",
                (*values.values(), time.time(), job_id),
            )
