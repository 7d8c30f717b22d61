"""`tgtrainer kb`: the knowledge base from the command line (the same database the bot uses).

Scopes: `global` (every chat), `user:<id>` (a user's private documents), `chat:<id>` (a group's).
A `UserFacingError` ends a command with its sentence (`KnowledgeGroup.invoke`), except while
`add` learns several files: each failure is printed and the others are still learned.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.extract import SUPPORTED, admit
from tgtrainer.knowledge.types import GLOBAL_SCOPE

_SCOPE = re.compile(r"^(global|user:-?\d+|chat:-?\d+)$")


def _scope(ctx: click.Context, param: click.Parameter, value: object) -> object:
    values = value if isinstance(value, tuple) else (value,)
    for scope in values:
        if scope is not None and not _SCOPE.match(str(scope)):
            raise click.BadParameter("use global, user:<id> or chat:<id>")
    return value


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None


def _open(settings: Settings):  # type: ignore[no-untyped-def]
    from tgtrainer.knowledge.factory import build_library
    from tgtrainer.storage import Database

    database = Database(settings.database_path, max_mb=settings.database_max_mb)
    return database, build_library(settings, database)


class KnowledgeGroup(click.Group):
    """The commands' one error boundary: a sentence for the user, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserFacingError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=KnowledgeGroup)
def kb() -> None:
    """Teach and query the knowledge base the bot answers from."""


@kb.command(help=f"Learn FILES into SCOPE. Formats: {SUPPORTED}.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, callback=_scope)
def add(files: Sequence[str], scope: str) -> None:
    settings = _settings()
    database, library = _open(settings)
    failures = 0

    async def learn_all() -> None:
        nonlocal failures
        with click.progressbar(
            length=len(files), label="Learning", item_show_func=lambda item: item
        ) as bar:
            for name in files:
                path = Path(name)

                def show(line: str, path: Path = path) -> None:
                    bar.label = f"{path.name}: {line}"
                    bar.render_progress()

                try:
                    size = (await asyncio.to_thread(path.stat)).st_size
                    admitted = admit(path.name, None, size, library.limits)
                    result = await library.learn_file(path, admitted, scope, progress=show)
                    outcome = {"known": "already known", "replaced": "replaced"}.get(
                        result.status, "learned"
                    )
                    bar.update(1)
                    click.echo(
                        f"\n{path.name}: {outcome}, {result.document.chunks} passage(s)"
                        + (f", {result.document.pages} pages" if result.document.pages else "")
                    )
                except UserFacingError as error:  # told here: the other files go on
                    failures += 1
                    bar.update(1)
                    click.echo(f"\n{path.name}: {error}", err=True)
        await library.embedder.aclose()

    try:
        asyncio.run(learn_all())
    finally:
        database.close()
    if failures:
        raise SystemExit(1)


@kb.command()
@click.argument("question")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--scope", "scopes", multiple=True, callback=_scope, help="default: every scope")
@click.option("--json", "as_json", is_flag=True, help="one JSON list on stdout")
def search(question: str, k: int, scopes: tuple[str, ...], as_json: bool) -> None:
    """Print the passages that best answer QUESTION, with document, place and score."""
    settings = _settings()
    database, library = _open(settings)
    try:
        chosen = list(scopes) or library.scopes()
        passages = asyncio.run(library.search(question, chosen, k)) if chosen else []
    finally:
        database.close()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "document": p.document,
                        "page": p.page,
                        "section": p.heading,
                        "score": round(p.score, 4),
                        "text": p.text,
                    }
                    for p in passages
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not passages:
        click.echo("Nothing found.")
    for number, passage in enumerate(passages, start=1):
        click.secho(f"[{number}] {passage.location}  (score {passage.score:.3f})", bold=True)
        click.echo(passage.text + "\n")


@kb.command(name="list")
@click.option("--scope", "scopes", multiple=True, callback=_scope, help="default: every scope")
def list_documents(scopes: tuple[str, ...]) -> None:
    """List the documents learned: scope, name, size, passages, pages."""
    settings = _settings()
    database, library = _open(settings)
    try:
        chosen = list(scopes) or library.scopes()
        documents = library.documents(chosen) if chosen else []
    finally:
        database.close()
    if not documents:
        click.echo("No documents.")
    for document in documents:
        pages = f", {document.pages} pages" if document.pages else ""
        click.echo(
            f"{document.scope}\t{document.name}\t{document.size} bytes, "
            f"{document.chunks} passage(s){pages}"
        )


@kb.command()
@click.argument("names", nargs=-1)
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, callback=_scope)
@click.option("--all", "everything", is_flag=True, help="remove every document of the scope")
def remove(names: Sequence[str], scope: str, everything: bool) -> None:
    """Forget the documents NAMES (or --all) of SCOPE."""
    if not names and not everything:
        raise click.UsageError("name a document, or pass --all")
    settings = _settings()
    database, library = _open(settings)

    async def forget() -> list[str]:
        if everything:
            count = await library.forget_all(scope)
            return [f"removed {count} documents from {scope}"]
        lines = []
        for name in names:
            gone = await library.forget(scope, name)
            lines.append(f"removed {name}" if gone else f"no document {name} in {scope}")
        return lines

    try:
        for line in asyncio.run(forget()):
            click.echo(line)
    finally:
        database.close()
