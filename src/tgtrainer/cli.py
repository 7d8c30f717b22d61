"""tgtrainer: a self-hosted Telegram assistant you can teach.

Configuration comes from environment variables or a .env file (see the README); `tgtrainer config`
shows what is in effect.
"""

from __future__ import annotations

import asyncio
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
    pass


@main.command()
def run() -> None:
    """Run the bot on Telegram (long polling) until Ctrl-C or SIGTERM."""
    settings = _settings()
    if settings.telegram_bot_token is None:
        click.echo(
            "Configuration error: TELEGRAM_BOT_TOKEN: missing; get one from @BotFather "
            "(see the README), or try `tgtrainer sandbox` with no token at all",
            err=True,
        )
        sys.exit(EXIT_CONFIGURATION)
    configure_logging(
        settings.log_level,
        secrets=[
            secret.get_secret_value()
            for secret in (settings.telegram_bot_token, settings.openai_api_key)
            if secret is not None
        ],
    )
    from tgtrainer.bot.runner import BotStartError, run_bot  # imports telegram: only when needed

    try:
        asyncio.run(run_bot(settings))
    except BotStartError as error:
        click.echo(f"Cannot start: {error}", err=True)
        sys.exit(EXIT_CONFIGURATION)


@main.command()
def config() -> None:
    """Print the effective configuration, secrets masked."""
    for name, value in _settings().masked().items():
        click.echo(f"{name}={value}")


# -- documents: `tgtrainer kb ...` --
from tgtrainer.kb_cli import kb  # noqa: E402 - the group is attached after `main` exists

main.add_command(kb)
