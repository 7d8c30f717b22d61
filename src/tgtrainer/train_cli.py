"""`tgtrainer train`: fine-tuning jobs from the command line (the same database the bot uses).

`start --remote` uploads the dataset to the OpenAI-compatible service (LLM_BACKEND=openai) and
creates a job; `status` asks the service how each unfinished job does and shows every job with
its latest events; `cancel` stops one. The running bot tells the admins when a job ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.errors import UserFacingError

T = TypeVar("T")


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


def _with_training(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(training)` over the bot's database and the remote fine-tuning backend."""
    from tgtrainer.core.access import AccessPolicy
    from tgtrainer.core.training import build_training
    from tgtrainer.storage import Database
    from tgtrainer.training.factory import build_remote_fine_tuner

    settings = _settings()

    async def run() -> T:
        with Database(settings.database_path) as database:
            access = AccessPolicy(settings.allowed_users, settings.admin_user_ids)
            tuner = build_remote_fine_tuner(settings)
            training = build_training(settings, database, access, tuner)
            try:
                return await work(training)
            finally:
                await training.aclose()

    return asyncio.run(run())


@click.group(cls=TrainGroup)
def train() -> None:
    """Fine-tuning jobs: start, follow, cancel."""


@train.command()
@click.option(
    "--remote",
    is_flag=True,
    help="fine-tune through the OpenAI-compatible service (LLM_BACKEND=openai)",
)
@click.option(
    "--method",
    type=click.Choice(["supervised", "dpo"]),
    default="supervised",
    show_default=True,
    help="dpo trains on the preference pairs (👎 and a correction)",
)
@click.option("-y", "--yes", is_flag=True, help="start without asking")
def start(remote: bool, method: str, yes: bool) -> None:
    """Fine-tune on the rated and corrected answers (the `dataset build` defaults)."""
    if not remote:
        raise click.UsageError("only --remote is available in this build")

    async def go(training: Any) -> None:
        plan = training.plan(None, method)
        click.echo(plan.summary())
        if not yes and not click.confirm("Start?", default=False):
            click.echo("Not started.")
            return
        job = await training.start(None, None, method)
        click.echo(
            f"started {job.job_id} ({job.state}); the running bot tells the admins when it "
            "ends; `tgtrainer train status` shows how it goes"
        )

    _with_training(go)


@train.command()
def status() -> None:
    """Every job, newest first, with its latest events (unfinished ones asked afresh)."""
    from tgtrainer.core.training import job_lines

    async def show(training: Any) -> None:
        await training.refresh()
        jobs = training.jobs(None)
        if not jobs:
            click.echo("No fine-tuning jobs yet.")
        for job in jobs:
            for line in job_lines(job):
                click.echo(line)

    _with_training(show)


@train.command()
@click.argument("job_id", required=False)
def cancel(job_id: str | None) -> None:
    """Cancel JOB_ID, or every unfinished job."""

    async def stop(training: Any) -> None:
        cancelled = await training.cancel(None, job_id)
        if not cancelled:
            click.echo("No fine-tuning job is running.")
        for job in cancelled:
            click.echo(f"{job.job_id}: {job.state}")

    _with_training(stop)
