"""Job records, cancel, and a restart finding a job whose process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tgtrainer.cli import main
from tgtrainer.storage import Database
from tgtrainer.storage.finetune_jobs import FineTuneJobStore
from tgtrainer.storage.training_jobs import TrainingJobStore
from tgtrainer.training.errors import TrainingError
from tgtrainer.training.jobs import (
    INTERRUPTED,
    JobOptions,
    cancel_job,
    recover_jobs,
    start_job,
)
from tgtrainer.training.local_trainer import TrainOptions


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TrainingJobStore]:
    with Database(tmp_path / "db.sqlite3") as database:
        yield TrainingJobStore(database)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_options_survive_the_database() -> None:
    options = JobOptions(train=TrainOptions(rank=8, max_steps=3), replay_prompts=0)
    assert JobOptions.from_json(options.to_json()) == options


def test_progress_and_outcome_are_recorded(store: TrainingJobStore) -> None:
    job = store.create("/data/train.jsonl", None, JobOptions().to_json())
    assert job.state == "queued" and job.active
    store.mark_running(job.id, 4242)
    store.progress(job.id, phase="training", step=3, total=12, loss=1.5, seconds_left=30.0)
    running = store.get(job.id)
    assert running is not None
    assert (running.state, running.pid, running.step, running.total) == ("running", 4242, 3, 12)
    store.finish(job.id, "kept", "Kept adapter x.", "x")
    done = store.get(job.id)
    assert done is not None and not done.active
    assert (done.state, done.adapter_id, done.pid) == ("kept", "x", None)
    assert store.active() == [] and store.recent() == [done]


def test_a_job_whose_process_is_gone_is_marked_interrupted(
    store: TrainingJobStore, sleeper: subprocess.Popen[bytes]
) -> None:
    alive = store.create("a.jsonl", None, "{}")
    store.mark_running(alive.id, sleeper.pid)
    gone = store.create("b.jsonl", None, "{}")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.mark_running(gone.id, dead.pid)
    recovered = recover_jobs(store)
    assert [job.id for job in recovered] == [gone.id]
    assert recovered[0].state == "interrupted" and recovered[0].message == INTERRUPTED
    still = store.get(alive.id)
    assert still is not None and still.state == "running"


def test_cancel_asks_the_running_worker_to_stop(
    store: TrainingJobStore, sleeper: subprocess.Popen[bytes]
) -> None:
    job = store.create("a.jsonl", None, "{}")
    store.mark_running(job.id, sleeper.pid)
    assert not store.cancel_requested(job.id)
    cancelled = cancel_job(store)
    assert cancelled is not None and cancelled.cancel_requested
    assert store.cancel_requested(job.id)


def test_cancel_of_a_queued_job_without_a_process_ends_it(store: TrainingJobStore) -> None:
    job = store.create("a.jsonl", None, "{}")
    cancelled = cancel_job(store, job.id)
    assert cancelled is not None and cancelled.state == "cancelled"
    assert cancel_job(store) is None


def test_one_job_at_a_time(
    store: TrainingJobStore, sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    job = store.create("a.jsonl", None, "{}")
    store.mark_running(job.id, sleeper.pid)
    data = tmp_path / "train.jsonl"
    data.write_text("{}", encoding="utf-8")
    with pytest.raises(TrainingError, match="already running"):
        start_job(store, data, None, JobOptions(), log_dir=tmp_path / "logs")


def test_worker_failure_is_recorded_with_a_sentence(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("not json\n", encoding="utf-8")
    environment = {"TGTRAINER_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    environment.update({k: v for k, v in os.environ.items() if k == "PYTHONPATH"})
    with Database(tmp_path / "tgtrainer.sqlite3") as database:
        store = TrainingJobStore(database)
        job = start_job(
            store,
            data,
            None,
            JobOptions(replay_prompts=0),
            log_dir=tmp_path / "logs",
            environment=environment,
        )
        assert job.state == "running" and job.pid
        deadline = time.monotonic() + 60
        while (done := store.get(job.id)) is not None and done.active:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert done is not None and done.state == "failed"
    assert done.message == "train.jsonl, line 1: not JSON (Expecting value)."


def test_cli_status_and_cancel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TGTRAINER_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(main, ["train", "status"]).output == "No fine-tuning jobs yet.\n"
    assert runner.invoke(main, ["train", "cancel"]).output == "No fine-tuning job is running.\n"
    with Database(tmp_path / "tgtrainer.sqlite3") as database:
        store = TrainingJobStore(database)
        job = store.create("a.jsonl", None, "{}")
        store.mark_running(job.id, 999_999_999)
        FineTuneJobStore(database).add(
            f"local-{job.id}",
            backend="local",
            method="supervised",
            base_model="base",
            training_file_id=None,
            validation_file_id=None,
            examples=1,
            tokens=10,
            state="running",
            started_by=None,
            chat_id=None,
        )
    output = runner.invoke(main, ["train", "status"]).output
    assert output.startswith(f"local-{job.id}: failed ({INTERRUPTED}), supervised on base")
    listing = runner.invoke(main, ["train", "adapters"])
    assert listing.output == "* base\n"
    refused = runner.invoke(main, ["train", "use", "nope"])
    assert refused.exit_code == 1 and "No adapter 'nope'" in refused.output


def test_a_cancel_between_phases_stops_the_worker_before_the_next(tmp_path: Path) -> None:
    from tgtrainer.config import Settings
    from tgtrainer.training.worker import JobCancelledError, run_job

    data = tmp_path / "train.jsonl"
    data.write_text(
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}',
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path, llm_model_path=tmp_path / "never-loaded.gguf")
    with Database(tmp_path / "tgtrainer.sqlite3") as database:
        store = TrainingJobStore(database)
        job = store.create(str(data), None, JobOptions().to_json())
        store.request_cancel(job.id)
        with pytest.raises(JobCancelledError, match="Cancelled before loading the model"):
            run_job(settings, store, job)


def test_the_outcome_says_why_an_adapter_was_kept_or_discarded() -> None:
    from tgtrainer.training.adapters import Losses
    from tgtrainer.training.worker import discarded_line, kept_line

    learned, steady = Losses(1.269, 0.030), Losses(0.330, 0.274)
    assert kept_line(Losses(2.0, 1.5), learned, steady) == "held-out loss 2.000 -> 1.500."
    assert kept_line(Losses(1.429, 1.756), learned, steady) == (
        "it learned its examples (loss 1.269 -> 0.030) and answers to unrelated questions "
        "stayed within 10% (0.330 -> 0.274); on held-out examples it is no better "
        "(1.429 -> 1.756), as expected when they teach other facts."
    )
    assert discarded_line(Losses(1.4, 1.8), Losses(1.2, 1.3), steady) == (
        "held-out loss 1.400 -> 1.800, no better than base, nor on its own examples "
        "(1.200 -> 1.300)."
    )
    assert discarded_line(Losses(1.4, 1.8), learned, Losses(0.3, 0.5)) == (
        "held-out loss 1.400 -> 1.800, no better than base, and answers to unrelated "
        "questions got more than 10% less likely (0.300 -> 0.500)."
    )
