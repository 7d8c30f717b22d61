"""`tgtrainer users ...`: who may use the bot, and deleting everything about one user."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None


@click.group()
def users() -> None:
    """The bot's users: list them, delete everything about one."""


@users.command("list")
def list_users() -> None:
    """Everyone with an access record (requests, approvals, denials, admins)."""
    from tgtrainer.storage import Database
    from tgtrainer.storage.access import AccessStore

    settings = _settings()
    if not settings.database_path.exists():
        click.echo("No database yet: the bot has not run with this data directory.")
        return
    with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
        grants = AccessStore(database).grants()
    for grant in grants:
        day = datetime.fromtimestamp(grant.decided_at or grant.created_at, UTC)
        handle = f" @{grant.username}" if grant.username else ""
        click.echo(
            f"{grant.subject_id}\t{grant.status}\t{day:%Y-%m-%d}\t{grant.first_name}{handle}"
        )
    if not grants:
        click.echo("Nobody has an access record yet.")


@users.command("delete")
@click.argument("user_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(user_id: int, yes: bool) -> None:
    """Delete everything stored about USER_ID (as /forget_me does), then compact the database.

    Stop the bot first, or its in-memory search index keeps the user's documents until it
    restarts.
    """
    settings = _settings()
    if not settings.database_path.exists():
        raise click.ClickException(f"no database at {settings.database_path}")
    if not yes:
        click.confirm(f"Delete everything stored about user {user_id}?", abort=True)
    click.echo(asyncio.run(_delete(settings, user_id)))


async def _delete(settings: Settings, user_id: int) -> str:
    from tgtrainer.core.privacy import Privacy
    from tgtrainer.knowledge.factory import build_library
    from tgtrainer.storage import Database
    from tgtrainer.storage.erasure import ErasureStore

    with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
        library = build_library(settings, database)
        try:
            report = await Privacy(ErasureStore(database), library).forget_user(user_id)
        finally:
            await library.embedder.aclose()
    return report.summary().replace("about you", f"about user {user_id}")
