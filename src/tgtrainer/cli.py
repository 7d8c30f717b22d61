"""tgtrainer: a self-hosted Telegram assistant you can teach.

Configuration comes from environment variables or a .env file (see the README); `tgtrainer config`
shows what is in effect.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys

import click

from tgtrainer import __version__
from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.logs import configure_logging

EXIT_CONFIGURATION = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        click.echo(f"Configuration error: {error}", err=True)
        sys.exit(EXIT_CONFIGURATION)


@click.group(help=__doc__)
@click.version_option(__version__, prog_name="tgtrainer")
def main() -> None:
    # Weights come only from installed packages: no library may reach for a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@main.command()
@click.option(
    "--webhook",
    "webhook_url",
    metavar="URL",
    default=None,
    help="Take updates by webhook at this public HTTPS URL instead of long polling "
    "[default: WEBHOOK_URL]; served on WEBHOOK_LISTEN:WEBHOOK_PORT.",
)
@click.option(
    "--drop-pending-updates",
    is_flag=True,
    help="Drop the updates Telegram holds for the bot instead of answering them.",
)
def run(webhook_url: str | None, drop_pending_updates: bool) -> None:
    """Run the bot on Telegram (long polling, or a webhook) until Ctrl-C or SIGTERM."""
    settings = _settings()
    if webhook_url is not None:
        settings = _with_webhook_url(settings, webhook_url)
    if settings.telegram_bot_token is None:
        click.echo(
            "Configuration error: TELEGRAM_BOT_TOKEN: missing; get one from @BotFather "
            "(see the README), or try `tgtrainer sandbox` with no token at all",
            err=True,
        )
        sys.exit(EXIT_CONFIGURATION)
    from tgtrainer.bot.runner import BotStartError, run_bot  # imports telegram: only when needed
    from tgtrainer.bot.webhook import WebhookConfig

    webhook = (
        WebhookConfig(settings.webhook_url, settings.webhook_listen, settings.webhook_port)
        if settings.webhook_url
        else None
    )
    configure_logging(
        settings.log_level,
        secrets=[
            *(
                secret.get_secret_value()
                for secret in (settings.telegram_bot_token, settings.openai_api_key)
                if secret is not None
            ),
            *([webhook.secret_token] if webhook is not None else []),
        ],
    )
    try:
        asyncio.run(run_bot(settings, webhook=webhook, drop_pending_updates=drop_pending_updates))
    except BotStartError as error:
        click.echo(f"Cannot start: {error}", err=True)
        sys.exit(EXIT_CONFIGURATION)


def _with_webhook_url(settings: Settings, url: str) -> Settings:
    try:
        return load_settings(**{**settings.model_dump(), "webhook_url": url})
    except ConfigurationError as error:
        click.echo(f"Configuration error: --webhook: {error}", err=True)
        sys.exit(EXIT_CONFIGURATION)


@main.command()
def config() -> None:
    """Print the effective configuration, secrets masked, then who may use the bot."""
    settings = _settings()
    for name, value in settings.masked().items():
        click.echo(f"{name}={value}")
    for line in _access_lines(settings):
        click.echo(f"# {line}")


def _access_lines(settings: Settings) -> list[str]:
    """Open, closed, or the pairing code, as the bot says at start (read from its database,
    which `config` never creates)."""
    from tgtrainer.core.access import AccessPolicy
    from tgtrainer.core.access_notice import access_lines

    if settings.open_access or not settings.database_path.exists():
        lines = access_lines(AccessPolicy.from_settings(settings))
        if not settings.open_access and not (settings.allowed_users or settings.admin_user_ids):
            lines.append("access: the bot prints a one-time pairing code when it first starts")
        return lines
    from tgtrainer.storage import Database
    from tgtrainer.storage.access import AccessStore

    with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
        return access_lines(AccessPolicy.from_settings(settings, AccessStore(database)))


# -- tgtrainer sandbox ---------------------------------------------------------------------------


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only this machine reaches 127.0.0.1; another address lets "
    "anyone who can reach it chat as anyone.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the web chat [default: SANDBOX_PORT, 8080; 0 picks a free one].",
)
def sandbox(host: str, port: int | None) -> None:
    """Try the bot in your browser: a local Telegram server, the real bot and a web chat.

    No Telegram account and no keys: the bot runs exactly as `tgtrainer run` runs it, with the
    model your settings choose (the bundled local one by default). Chats are kept in the data
    directory next to the bot's database.
    """
    settings = _settings()
    token_secret = secrets.token_urlsafe(24)
    configure_logging(
        settings.log_level,
        secrets=[token_secret]
        + ([settings.openai_api_key.get_secret_value()] if settings.openai_api_key else []),
    )
    from tgtrainer.sandbox.launch import SandboxStartError, run_sandbox

    def announce(url: str) -> None:
        click.echo(f"tgtrainer sandbox: open {url} in your browser (Ctrl-C stops it)")
        if host != "127.0.0.1" and host != "localhost":
            click.echo(f"warning: listening on {host}: anyone who can reach it can use the bot")
        sys.stdout.flush()

    try:
        asyncio.run(
            run_sandbox(
                settings,
                host=host,
                port=settings.sandbox_port if port is None else port,
                token_secret=token_secret,
                announce=announce,
            )
        )
    except SandboxStartError as error:
        click.echo(f"Cannot start: {error}", err=True)
        sys.exit(EXIT_CONFIGURATION)


# -- documents: `tgtrainer kb ...` --
from tgtrainer.kb_cli import kb  # noqa: E402 - the group is attached after `main` exists

main.add_command(kb)

# -- the dialogue log and datasets: `tgtrainer dataset ...` --
from tgtrainer.dataset_cli import dataset  # noqa: E402 - attached after `main` exists

main.add_command(dataset)

# -- fine-tuning, offline and through a service: `tgtrainer train ...` --
from tgtrainer.train_cli import train  # noqa: E402 - attached after `main` exists

main.add_command(train)

# -- users: `tgtrainer users ...` --
from tgtrainer.users_cli import users  # noqa: E402 - attached after `main` exists

main.add_command(users)
