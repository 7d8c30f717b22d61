"""Offline fine-tuning jobs: started as a separate low-priority process, watched, cancelled.

One job runs at a time. `start_job` records it and starts `python -m tgtrainer.training.worker`
(niced, few torch threads, its own session, output in `adapters/logs/job-<id>.log`); the worker
writes its progress to the job's row. `cancel_job` asks the worker to stop at its next step;
`recover_jobs` (at start-up, and before a new job) marks a job whose process is gone as
interrupted: training does not resume, it starts again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tgtrainer.storage.training_jobs import TrainingJob, TrainingJobStore
from tgtrainer.training.errors import TrainingBusyError
from tgtrainer.training.local_trainer import TrainOptions
from tgtrainer.training.replay import GENERAL_PROMPTS

INTERRUPTED = "Training stopped when its process ended (a restart?); start it again to retrain."


def default_threads() -> int:
    """Every core: the worker runs at the lowest priority (`worker.NICENESS`), so the bot's own work
    comes first (measured with bench.training_chat: reply p50 while training against idle)."""
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class JobOptions:
    train: TrainOptions = field(default_factory=TrainOptions)
    replay_prompts: int = len(GENERAL_PROMPTS)  # the base model answers them for replay; 0: none
    replay_fraction: float = 1 / 3  # share of replay examples in each epoch

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> JobOptions:
        values = json.loads(text)
        train = values.pop("train")
        train["target_modules"] = tuple(train["target_modules"])
        return cls(train=TrainOptions(**train), **values)


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_jobs(store: TrainingJobStore) -> list[TrainingJob]:
    """Mark the active jobs whose worker is gone as interrupted; returns them, updated."""
    recovered = []
    for job in store.active():
        if job.state == "running" and not pid_alive(job.pid):
            store.finish(job.id, "interrupted", INTERRUPTED)
            updated = store.get(job.id)
            assert updated is not None
            recovered.append(updated)
    return recovered


def start_job(
    store: TrainingJobStore,
    data: Path,
    validation: Path | None,
    options: JobOptions,
    *,
    log_dir: Path,
    environment: dict[str, str] | None = None,
) -> TrainingJob:
    """Record a job and start its worker process; refuses while another job is active."""
    recover_jobs(store)
    if store.active():
        raise TrainingBusyError("a job is active")
    job = store.create(
        str(data.resolve()),
        None if validation is None else str(validation.resolve()),
        options.to_json(),
    )
    log_dir.mkdir(parents=True, exist_ok=True)
    threads = str(options.train.threads)
    env = {**(environment if environment is not None else os.environ)}
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, HF_HUB_OFFLINE="1")
    with (log_dir / f"job-{job.id}.log").open("ab") as log:
        # the launcher starts the worker in its own session, records its pid and exits: the
        # worker outlives this process (Ctrl-C on the bar, a bot restart) and is nobody's zombie
        subprocess.run(
            [sys.executable, "-m", "tgtrainer.training.worker", "--launch", str(job.id)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
            timeout=120,
        )
    started = store.get(job.id)
    assert started is not None
    return started


def cancel_job(store: TrainingJobStore, job_id: int | None = None) -> TrainingJob | None:
    """Ask the (given, or the active) job to stop; a job whose worker is gone is cancelled now."""
    recover_jobs(store)
    job = store.get(job_id) if job_id is not None else next(iter(store.active()), None)
    if job is None or not job.active:
        return job
    store.request_cancel(job.id)
    if not pid_alive(job.pid):
        store.finish(job.id, "cancelled", "Cancelled before it started.")
    return store.get(job.id)
