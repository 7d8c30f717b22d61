"""`tgtrainer train`: fine-tune the local chat model offline, in a background process.

`start` records a job and starts its worker (low priority); it then shows a progress bar until
the job ends (Ctrl-C leaves the job running; `--detach` returns at once). `status` shows the
recent jobs, `cancel` stops the running one, `adapters` lists the trained adapters and `use`
makes one (or `base`) the default.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.errors import UserFacingError
from tgtrainer.storage import Database
from tgtrainer.storage.training_jobs import TrainingJob, TrainingJobStore
from tgtrainer.training.adapters import AdapterRegistry
from tgtrainer.training.jobs import JobOptions, cancel_job, default_threads, recover_jobs, start_job
from tgtrainer.training.local_trainer import TrainOptions, require_train_extra

POLL_S = 1.0


class TrainGroup(click.Group):
    """The commands' one error boundary: a sentence for the user, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserFacingError as error:
            raise click.ClickException(str(error)) from None


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None


@contextmanager
def _jobs(settings: Settings) -> Iterator[TrainingJobStore]:
    with Database(settings.database_path) as database:
        yield TrainingJobStore(database)


def describe(job: TrainingJob) -> str:
    """One line: `#3 running: training step 4/12, loss 1.234, 0:41 left`."""
    line = f"#{job.id} {job.state}"
    if job.active:
        line += f": {job.phase or 'starting'}"
        if job.total:
            line += f" step {job.step}/{job.total}"
        if job.loss is not None:
            line += f", loss {job.loss:.3f}"
        if job.seconds_left:
            line += f", {int(job.seconds_left) // 60}:{int(job.seconds_left) % 60:02d} left"
    elif job.message:
        line += f": {job.message}"
    return line


@click.group(cls=TrainGroup)
def train() -> None:
    """Fine-tune the local chat model on this machine (a LoRA adapter, no network)."""


@train.command()
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Chat examples, OpenAI fine-tuning JSONL.",
)
@click.option(
    "--validation",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Held-out examples; the adapter is kept only if it beats the base on them.",
)
@click.option("--epochs", type=click.IntRange(1), default=3, show_default=True)
@click.option("--max-steps", type=click.IntRange(1), help="Stop after this many steps (a trial).")
@click.option("--rank", type=click.IntRange(1), default=16, show_default=True)
@click.option("--learning-rate", type=float, default=3e-4, show_default=True)
@click.option(
    "--replay",
    type=click.IntRange(0, 12),
    default=8,
    show_default=True,
    help="General prompts whose base answers are mixed in, against forgetting.",
)
@click.option("--threads", type=click.IntRange(1), default=default_threads, show_default=True)
@click.option("--detach", is_flag=True, help="Return at once; `train status` shows progress.")
def start(
    data: Path,
    validation: Path | None,
    epochs: int,
    max_steps: int | None,
    rank: int,
    learning_rate: float,
    replay: int,
    threads: int,
    detach: bool,
) -> None:
    """Train a LoRA adapter in a low-priority background process."""
    require_train_extra()
    settings = _settings()
    options = JobOptions(
        train=TrainOptions(
            rank=rank,
            alpha=2 * rank,
            learning_rate=learning_rate,
            epochs=epochs,
            max_steps=max_steps,
            threads=threads,
        ),
        replay_prompts=replay,
    )
    with _jobs(settings) as store:
        job = start_job(
            store, data, validation, options, log_dir=settings.data_dir / "adapters" / "logs"
        )
        click.echo(f"Started training job #{job.id} (process {job.pid}).")
        if not detach:
            _follow(store, job.id)


def _follow(store: TrainingJobStore, job_id: int) -> None:
    """A progress bar over the job's steps until it ends; Ctrl-C leaves it running."""
    try:
        job = _wait(store, job_id, lambda job: job.total > 0 or not job.active)
        if job.active:
            with click.progressbar(length=job.total, label="Training", show_eta=True) as bar:
                shown = 0
                while job.active:
                    bar.update(job.step - shown)
                    shown = job.step
                    time.sleep(POLL_S)
                    job = _get(store, job_id)
                bar.update(job.step - shown)
        job = _wait(store, job_id, lambda job: not job.active)
        click.echo(describe(job))
    except KeyboardInterrupt:
        click.echo(f"\nStill training; `tgtrainer train status` shows job #{job_id}.")


def _get(store: TrainingJobStore, job_id: int) -> TrainingJob:
    recover_jobs(store)
    job = store.get(job_id)
    assert job is not None
    return job


def _wait(store: TrainingJobStore, job_id: int, done: Any) -> TrainingJob:
    job = _get(store, job_id)
    phase = ""
    while not done(job):
        if job.phase != phase:
            phase = job.phase
            click.echo(f"{phase}...")
        time.sleep(POLL_S)
        job = _get(store, job_id)
    return job


@train.command()
def status() -> None:
    """The recent training jobs, newest first."""
    with _jobs(_settings()) as store:
        recover_jobs(store)
        jobs = store.recent()
    for job in jobs:
        click.echo(describe(job))
    if not jobs:
        click.echo("No training jobs yet.")


@train.command()
def cancel() -> None:
    """Stop the running training job (at its next step)."""
    with _jobs(_settings()) as store:
        job = cancel_job(store)
    click.echo("No training job is running." if job is None else f"Cancelling: {describe(job)}")


@train.command()
def adapters() -> None:
    """The trained adapters, with their held-out figures; * marks the default."""
    registry = AdapterRegistry(_settings().data_dir)
    default = registry.default()
    click.echo(f"{' ' if default else '*'} base")
    for adapter in registry.list():
        figures = adapter.figures
        mark = "*" if default and default.id == adapter.id else " "
        click.echo(
            f"{mark} {adapter.id}: held-out loss {figures.get('heldout_loss_before', 0):.3f}"
            f" -> {figures.get('heldout_loss_after', 0):.3f}, {figures.get('examples')} examples,"
            f" {figures.get('steps')} steps"
        )


@train.command()
@click.argument("adapter")
def use(adapter: str) -> None:
    """Make ADAPTER (an id from `train adapters`, or `base`) the default."""
    registry = AdapterRegistry(_settings().data_dir)
    try:
        registry.set_default(None if adapter == "base" else adapter)
    except KeyError:
        raise click.ClickException(
            f"No adapter {adapter!r}; see `tgtrainer train adapters`."
        ) from None
    click.echo(f"Default model: {adapter}.")
