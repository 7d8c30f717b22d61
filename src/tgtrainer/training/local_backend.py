"""Offline fine-tuning as a `FineTuner`: a LoRA adapter for the local GGUF chat model, trained on
this machine by a low-priority worker process (`jobs`, `worker`).

A job's examples are written to `<data dir>/adapters/data/`, its row in `training_jobs` is what
the worker updates; the id the core stores is `local-<row id>`. A kept adapter is the job's
`fine_tuned_model` (its id in `adapters.AdapterRegistry`); a discarded one finishes the job
without a model, the held-out figures in its outcome either way.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from tgtrainer.config import Settings
from tgtrainer.storage import Database
from tgtrainer.storage.training_jobs import TrainingJob, TrainingJobStore
from tgtrainer.training.base import (
    Estimate,
    Example,
    JobEvent,
    JobProgress,
    JobRequest,
    JobState,
    JobStatus,
)
from tgtrainer.training.errors import TrainingError, UnknownJobError, UnsupportedModelError
from tgtrainer.training.jobs import JobOptions, cancel_job, default_threads, recover_jobs, start_job
from tgtrainer.training.local_trainer import TrainOptions, require_train_extra, total_steps
from tgtrainer.training.replay import replay_slots

PREFIX: Final = "local-"
LOAD_SECONDS: Final = 60.0  # measured: the GGUF's weights into float32, 2 cores
# Measured on 2 quiet cores teaching 24 corrections (2026-12-03): 182 s for the replay answers
# and the losses before and after, 1.85 s a step; twice that for a busy machine.
MEASURE_SECONDS: Final = (150.0, 240.0)
STEP_SECONDS: Final = (1.8, 3.6)
PEAK_MEMORY_GB: Final = 4.8  # measured, the same job: 4.6 and 4.76 GB in two runs
DEFAULT_EPOCHS: Final = 6  # measured on 12 facts: 10/12 recalled after 6 epochs, 6/12 after 3
SUPERVISED_ONLY = (
    "Offline training learns from examples (supervised); DPO needs a fine-tuning service."
)
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "running": "running",
    "kept": "succeeded",
    "discarded": "succeeded",
    "failed": "failed",
    "interrupted": "failed",
    "cancelled": "cancelled",
}
_NOT_CAUSAL = frozenset({"general", "tokenizer", "t5", "umt5"})


def base_model_path(settings: Settings) -> Path:
    """The GGUF the chat model runs and training adapts: LLM_MODEL_PATH, else the bundled one."""
    if settings.llm_model_path is not None:
        return settings.llm_model_path
    from tgtrainer.llm.weights import bundled_model_path

    return bundled_model_path(settings.data_dir)


def base_model_name(settings: Settings) -> str:
    """The base model as `/model` names it (the chat model's own name for it)."""
    if settings.llm_model_path is not None:
        return settings.llm_model_path.stem
    from tgtrainer.llm.weights import BUNDLED_MODEL_NAME

    return BUNDLED_MODEL_NAME


def check_trainable(path: Path) -> None:
    """Refuse, with a sentence, a GGUF whose architecture transformers cannot load."""
    require_train_extra()
    from tgtrainer.training.lora_gguf import base_architecture

    try:
        architecture, _ = base_architecture(path)
    except (OSError, ValueError, KeyError) as error:
        raise UnsupportedModelError(f"{path.name}: {error!r}") from error
    ggml = importlib.import_module("transformers.modeling_gguf_pytorch_utils")
    supported = set(ggml.GGUF_SUPPORTED_ARCHITECTURES) - _NOT_CAUSAL
    if architecture not in supported:
        raise UnsupportedModelError(
            f"{path.name}: architecture {architecture}",
            user_message=f"This model cannot be trained here: transformers cannot load a GGUF "
            f"of the {architecture} architecture ({path.name}).",
        )


def job_id(job: TrainingJob) -> str:
    return f"{PREFIX}{job.id}"


def _row_id(job_id: str) -> int:
    number = job_id.removeprefix(PREFIX)
    if not job_id.startswith(PREFIX) or not number.isdigit():
        raise UnknownJobError(f"not a local job: {job_id}")
    return int(number)


def _write_jsonl(path: Path, examples: Sequence[Example]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(example, ensure_ascii=False) for example in examples)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


class LocalFineTuner:
    """`FineTuner` that trains the local chat model on this machine."""

    backend = "local"

    def __init__(self, settings: Settings, *, threads: int | None = None) -> None:
        self._settings = settings
        self._threads = threads or settings.train_threads or default_threads()
        self._database: Database | None = None
        self._lock = asyncio.Lock()
        self._checked: str | None = None  # the base GGUF's stamp once it passed the check

    def _store(self) -> TrainingJobStore:
        if self._database is None:
            self._database = Database(
                self._settings.database_path, max_mb=self._settings.database_max_mb
            )
        return TrainingJobStore(self._database)

    def _options(self, request: JobRequest) -> JobOptions:
        train = TrainOptions(
            epochs=request.epochs or DEFAULT_EPOCHS,
            max_steps=request.max_steps,
            threads=self._threads,
        )
        return JobOptions(train=train)

    def estimate(self, request: JobRequest) -> Estimate:
        if request.method != "supervised":
            raise TrainingError("dpo offline", user_message=SUPERVISED_ONLY)
        base = base_model_path(self._settings)
        stamp = f"{base}:{base.stat().st_size}:{base.stat().st_mtime_ns}"
        if self._checked != stamp:
            check_trainable(base)
            self._checked = stamp
        options = self._options(request)
        replay = replay_slots(len(request.train), options.replay_fraction)
        steps = total_steps(len(request.train) + replay, options.train)
        low = LOAD_SECONDS + MEASURE_SECONDS[0] + steps * STEP_SECONDS[0]
        high = LOAD_SECONDS + MEASURE_SECONDS[1] + steps * STEP_SECONDS[1]
        return Estimate(steps=steps, seconds=(low, high), peak_memory_gb=PEAK_MEMORY_GB)

    async def start(self, request: JobRequest) -> JobStatus:
        self.estimate(request)  # refuses what cannot be trained, before anything is written
        folder = self._settings.data_dir / "adapters" / "data"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        data = _write_jsonl(folder / f"{stamp}-train.jsonl", request.train)
        validation = (
            _write_jsonl(folder / f"{stamp}-validation.jsonl", request.validation)
            if request.validation
            else None
        )
        async with self._lock:
            job = await asyncio.to_thread(
                start_job,
                self._store(),
                data,
                validation,
                self._options(request),
                log_dir=self._settings.data_dir / "adapters" / "logs",
            )
        return self._status(job)

    async def status(self, job_id: str) -> JobStatus:
        async with self._lock:
            store = self._store()
            recover_jobs(store)
            job = store.get(_row_id(job_id))
        if job is None:
            raise UnknownJobError(f"no local job {job_id}")
        return self._status(job)

    async def cancel(self, job_id: str) -> JobStatus:
        async with self._lock:
            job = cancel_job(self._store(), _row_id(job_id))
        if job is None:
            raise UnknownJobError(f"no local job {job_id}")
        return self._status(job)

    async def aclose(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None

    def _status(self, job: TrainingJob) -> JobStatus:
        state = _STATES[job.state]
        progress = (
            JobProgress(job.phase or "starting", job.step, job.total, job.loss, job.seconds_left)
            if job.active
            else None
        )
        events = (JobEvent(job.updated_at, "info", job.message),) if job.message else ()
        return JobStatus(
            job_id(job),
            state,
            base_model_name(self._settings),
            fine_tuned_model=job.adapter_id if job.state == "kept" else None,
            error=job.message if state == "failed" else None,
            events=events,
            progress=progress,
            outcome=job.message if job.state in ("kept", "discarded") else None,
        )
