"""`tgtrainer train`: fine-tuning from the command line, on the database the bot uses.

`start` trains a LoRA adapter for the local chat model on this machine, in a low-priority
background process, and shows a progress bar until it ends (Ctrl-C leaves it running;
`--detach` returns at once); `start --remote` uploads the dataset to the OpenAI-compatible
service (LLM_BACKEND=openai) and creates a job there. Either trains on the rated and corrected
answers (the `dataset build` defaults) or on `--data FILE`. `status` shows every job with its
latest events, `cancel` stops the running ones, `adapters` lists the kept adapters and `use`
makes one (or `base`) the default for every chat. The running bot tells the admins when a job
ends. The rules are `core.training.Training`'s, the same as in Telegram.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.errors import UserFacingError

if TYPE_CHECKING:
    from tgtrainer.core.training import Training
    from tgtrainer.training.base import FineTuner

T = TypeVar("T")
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


def _tuner(settings: Settings, remote: bool) -> FineTuner | None:
    from tgtrainer.training.factory import build_local_fine_tuner, build_remote_fine_tuner

    try:
        return build_remote_fine_tuner(settings) if remote else build_local_fine_tuner(settings)
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None


def _with_training(work: Callable[[Training], Awaitable[T]], *, remote: bool) -> T:
    """Run `work(training)` over the bot's database and the local (or remote) backend."""
    from tgtrainer.core.access import AccessPolicy
    from tgtrainer.core.training import build_training
    from tgtrainer.storage import Database

    settings = _settings()

    async def run() -> T:
        with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
            access = AccessPolicy(settings.allowed_users, settings.admin_user_ids)
            training = build_training(settings, database, access, _tuner(settings, remote))
            try:
                return await work(training)
            finally:
                await training.aclose()

    return asyncio.run(run())


def _backends() -> list[bool]:
    """`remote` for each backend jobs may have run on: the local one, and the service's."""
    return [False, True] if _settings().llm_backend == "openai" else [False]


@click.group(cls=TrainGroup)
def train() -> None:
    """Fine-tune the chat model: offline on this machine, or through a service."""


@train.command()
@click.option(
    "--remote",
    is_flag=True,
    help="fine-tune through the OpenAI-compatible service (LLM_BACKEND=openai)",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="train on this JSONL (OpenAI's chat format; preference pairs for dpo) instead of "
    "the rated and corrected answers",
)
@click.option("--epochs", type=click.IntRange(1), help="passes over the examples")
@click.option("--max-steps", type=click.IntRange(1), help="stop after this many steps (a trial)")
@click.option(
    "--method",
    type=click.Choice(["supervised", "dpo"]),
    default="supervised",
    show_default=True,
    help="dpo trains on the preference pairs (👎 and a correction); a service only",
)
@click.option("-y", "--yes", is_flag=True, help="start without asking")
@click.option("--detach", is_flag=True, help="return at once; `train status` shows progress")
def start(
    remote: bool,
    data: Path | None,
    epochs: int | None,
    max_steps: int | None,
    method: str,
    yes: bool,
    detach: bool,
) -> None:
    """Fine-tune: a LoRA adapter on this machine, or a job on the service (--remote)."""
    from tgtrainer.training.base import Method

    chosen: Method = "dpo" if method == "dpo" else "supervised"
    options: dict[str, Any] = {"data": data, "epochs": epochs, "max_steps": max_steps}

    async def go(training: Training) -> None:
        plan = training.plan(None, chosen, **options)
        click.echo(plan.summary())
        for line in plan.preview():
            click.echo(line)
        if not yes and not click.confirm("Start?", default=False):
            click.echo("Not started.")
            return
        job = await training.start(None, None, chosen, **options)
        click.echo(
            f"started {job.job_id} ({job.state}); the running bot tells the admins when it "
            "ends; `tgtrainer train status` shows how it goes"
        )
        if not remote and not detach:
            await _follow(training, job.job_id)

    _with_training(go, remote=remote)


async def _follow(training: Training, job_id: str) -> None:
    """A progress bar over the job's steps until it ends; Ctrl-C leaves it running."""
    from tgtrainer.core.training import outcome

    phase, shown = "", 0
    bar: Any = None
    try:
        while True:
            await training.refresh()
            [job] = [job for job in training.jobs(None) if job.job_id == job_id]
            progress = training.progress(job_id)
            if job.finished:
                break
            if progress is not None and progress.total and bar is None:
                bar = click.progressbar(length=progress.total, label="Training", show_eta=True)
                bar.__enter__()
            if bar is not None and progress is not None:
                bar.update(progress.step - shown)
                shown = progress.step
            elif progress is not None and progress.phase != phase:
                phase = progress.phase
                click.echo(f"{phase}...")
            await asyncio.sleep(POLL_S)
    except KeyboardInterrupt:
        click.echo(f"\nStill training; `tgtrainer train status` shows job {job_id}.")
        return
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(outcome(job))


@train.command()
def status() -> None:
    """Every job, newest first, with its latest events (unfinished ones asked afresh)."""
    from tgtrainer.core.training import job_lines, progress_line
    from tgtrainer.storage.finetune_jobs import StoredJob
    from tgtrainer.training.base import JobProgress

    progress: dict[str, JobProgress] = {}

    async def show(training: Training) -> list[StoredJob]:
        await training.refresh()
        jobs = training.jobs(None)
        progress.update({job.job_id: p for job in jobs if (p := training.progress(job.job_id))})
        return jobs

    jobs: list[StoredJob] = []
    for remote in _backends():  # each asks its own unfinished jobs; the last list is the latest
        jobs = _with_training(show, remote=remote)
    if not jobs:
        click.echo("No fine-tuning jobs yet.")
    for job in jobs:
        for line in job_lines(job):
            click.echo(line)
        if job.job_id in progress and not job.finished:
            click.echo(f"  {progress_line(job.job_id, progress[job.job_id])}")


@train.command()
@click.argument("job_id", required=False)
def cancel(job_id: str | None) -> None:
    """Cancel JOB_ID, or every unfinished job."""
    from tgtrainer.training.local_backend import PREFIX

    async def stop(training: Training) -> list[str]:
        stopped = await training.cancel(None, job_id)
        return [f"{job.job_id}: {job.state if job.finished else 'cancelling'}" for job in stopped]

    said: list[str] = []
    for remote in _backends():
        if job_id is None or job_id.startswith(PREFIX) != remote:
            said += _with_training(stop, remote=remote)
    click.echo("\n".join(said) if said else "No fine-tuning job is running.")


@train.command()
def adapters() -> None:
    """The kept adapters, with their held-out figures; * marks the default."""

    async def listing(training: Training) -> None:
        default = training.default_model()
        click.echo(f"{' ' if default else '*'} base")
        for adapter in training.adapter_list(None):
            figures = adapter.figures
            mark = "*" if adapter.id == default else " "
            click.echo(
                f"{mark} {adapter.id}: held-out loss {figures.get('heldout_loss_before', 0):.3f}"
                f" -> {figures.get('heldout_loss_after', 0):.3f}, "
                f"{figures.get('examples')} examples, {figures.get('steps')} steps"
            )

    _with_training(listing, remote=False)


@train.command()
@click.argument("adapter")
def use(adapter: str) -> None:
    """Make ADAPTER (an id from `train adapters`, or `base`) the default for every chat."""

    async def choose(training: Training) -> None:
        training.set_default_model(None, None if adapter == "base" else adapter)

    _with_training(choose, remote=False)
    click.echo(f"Default model: {adapter}.")
