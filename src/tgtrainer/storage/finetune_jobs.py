"""Fine-tuning jobs: what was started, where it stands, and whether its outcome was told."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tgtrainer.storage.database import Database

FINISHED_STATES = ("succeeded", "failed", "cancelled")
EventRow = tuple[float, str, str]  # created_at, level, message


@dataclass(frozen=True, slots=True)
class StoredJob:
    job_id: str
    backend: str
    method: str
    base_model: str
    training_file_id: str | None
    validation_file_id: str | None
    examples: int
    tokens: int
    state: str
    fine_tuned_model: str | None
    error: str | None
    events: list[EventRow]
    started_by: int | None
    chat_id: int | None
    created_at: float
    updated_at: float
    finished_at: float | None
    told_at: float | None
    outcome: str | None = None  # a finished job's result in its backend's words

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


_COLUMNS = (
    "job_id, backend, method, base_model, training_file_id, validation_file_id, examples, "
    "tokens, state, fine_tuned_model, error, events, started_by, chat_id, created_at, "
    "updated_at, finished_at, told_at, outcome"
)
_FINISHED = f"state IN {FINISHED_STATES!r}"


def _job(row: Any) -> StoredJob:
    values = list(row)
    values[11] = [tuple(event) for event in json.loads(values[11])]
    return StoredJob(*values)


class FineTuneJobStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def add(
        self,
        job_id: str,
        *,
        backend: str,
        method: str,
        base_model: str,
        training_file_id: str | None,
        validation_file_id: str | None,
        examples: int,
        tokens: int,
        state: str,
        started_by: int | None,
        chat_id: int | None,
    ) -> None:
        now = time.time()
        with self._db:
            self._db.execute(
                """INSERT INTO finetune_jobs (job_id, backend, method, base_model,
                       training_file_id, validation_file_id, examples, tokens, state,
                       started_by, chat_id, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    job_id,
                    backend,
                    method,
                    base_model,
                    training_file_id,
                    validation_file_id,
                    examples,
                    tokens,
                    state,
                    started_by,
                    chat_id,
                    now,
                    now,
                ),
            )

    def update(
        self,
        job_id: str,
        *,
        state: str,
        fine_tuned_model: str | None,
        error: str | None,
        events: list[EventRow] | None = None,
        outcome: str | None = None,
    ) -> None:
        """Record where the job stands; `events` (and `outcome`) None keeps the ones stored."""
        now = time.time()
        finished_at = now if state in FINISHED_STATES else None
        with self._db:
            self._db.execute(
                """UPDATE finetune_jobs SET state = ?, fine_tuned_model = ?, error = ?,
                       events = COALESCE(?, events), outcome = COALESCE(?, outcome),
                       updated_at = ?,
                       finished_at = COALESCE(finished_at, ?)
                   WHERE job_id = ?""",
                (
                    state,
                    fine_tuned_model,
                    error,
                    None if events is None else json.dumps(events),
                    outcome,
                    now,
                    finished_at,
                    job_id,
                ),
            )

    def mark_told(self, job_id: str) -> None:
        with self._db:
            self._db.execute(
                "UPDATE finetune_jobs SET told_at = ? WHERE job_id = ?", (time.time(), job_id)
            )

    def get(self, job_id: str) -> StoredJob | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM finetune_jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None else _job(row)

    def all(self) -> list[StoredJob]:
        """Every job, newest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM finetune_jobs ORDER BY created_at DESC, rowid DESC"
        )
        return [_job(row) for row in rows]

    def unfinished(self, backend: str) -> list[StoredJob]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM finetune_jobs WHERE backend = ? AND NOT {_FINISHED}"
            " ORDER BY created_at",
            (backend,),
        )
        return [_job(row) for row in rows]

    def finished_untold(self) -> list[StoredJob]:
        """Jobs that ended and whose outcome nobody was told yet."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM finetune_jobs WHERE {_FINISHED} AND told_at IS NULL"
            " ORDER BY finished_at"
        )
        return [_job(row) for row in rows]

    def fine_tuned_models(self, backend: str) -> list[str]:
        """The models succeeded jobs made, oldest first."""
        rows = self._db.execute(
            """SELECT fine_tuned_model FROM finetune_jobs
               WHERE backend = ? AND state = 'succeeded' AND fine_tuned_model IS NOT NULL
               ORDER BY finished_at""",
            (backend,),
        )
        return [row[0] for row in rows]
