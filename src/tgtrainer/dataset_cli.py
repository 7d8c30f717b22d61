"""`tgtrainer dataset`: the dialogue log and fine-tuning data from the command line (the same
database the bot uses).

`export` writes the dialogue log as JSON; `build` writes supervised examples (OpenAI's chat
fine-tuning JSONL) and preference pairs (OpenAI's DPO JSONL) from rated and corrected answers;
`from-docs` has the chat model write question-and-answer examples from learned documents.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tgtrainer.config import ConfigurationError, Settings, load_settings
from tgtrainer.errors import UserFacingError
from tgtrainer.kb_cli import _scope


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None


class DatasetGroup(click.Group):
    """The commands' one error boundary: a sentence for the user, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserFacingError as error:
            raise click.ClickException(str(error)) from None


def _turns(chats: tuple[int, ...], since: datetime | None, until: datetime | None) -> list[Any]:
    from tgtrainer.storage import Database
    from tgtrainer.storage.dialogue import DialogueLog

    with Database(_settings().database_path) as database:
        return DialogueLog(database).turns(
            chat_ids=chats,
            since=since.timestamp() if since else None,
            until=until.timestamp() if until else None,
        )


_DATE = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])


def _selection(function: Any) -> Any:
    """The options that choose turns: chats and a date range."""
    function = click.option(
        "--chat", "chats", multiple=True, type=int, help="only this chat id (repeatable)"
    )(function)
    function = click.option("--since", type=_DATE, help="questions from this day on (local)")(
        function
    )
    return click.option("--until", type=_DATE, help="questions before this day (local)")(function)


@click.group(cls=DatasetGroup)
def dataset() -> None:
    """The dialogue log and fine-tuning datasets made from it."""


@dataset.command()
@click.option("--format", "form", type=click.Choice(["json"]), default="json", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: stdout"
)
@_selection
def export(
    form: str,
    output: Path | None,
    chats: tuple[int, ...],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """The dialogue log, chat by chat: every turn with its times, rating and correction."""
    from tgtrainer.training.export import dialogue_export

    text = json.dumps(dialogue_export(_turns(chats, since, until)), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@dataset.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--preference",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write preference pairs (OpenAI's DPO format) from corrected answers here",
)
@click.option(
    "--validation", type=click.Path(dir_okay=False, path_type=Path), help="validation split file"
)
@click.option("--validation-share", type=click.FloatRange(0, 0.9), default=0.1, show_default=True)
@click.option(
    "--all",
    "every_answer",
    is_flag=True,
    help="also unrated answers (default: rated 👍 or corrected); answers rated 👎 without a "
    "correction are never used",
)
@click.option("--redact", is_flag=True, help="replace e-mail addresses and phone numbers")
@click.option(
    "--max-tokens",
    type=click.IntRange(16),
    default=None,
    help="the most tokens an example may have [default: LLM_CONTEXT_TOKENS]",
)
@click.option(
    "--price-per-million",
    type=click.FloatRange(0),
    help="price per million training tokens, for the cost estimate",
)
@_selection
def build(
    output: Path,
    preference: Path | None,
    validation: Path | None,
    validation_share: float,
    every_answer: bool,
    redact: bool,
    max_tokens: int | None,
    price_per_million: float | None,
    chats: tuple[int, ...],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Supervised examples in OpenAI's chat fine-tuning JSONL: each answer's exact prompt and
    the answer, a correction in its place. Deduplicated and checked as OpenAI checks them."""
    from tgtrainer.training.dataset import BuildOptions, build, summary, write_jsonl

    settings = _settings()
    options = BuildOptions(
        every_answer=every_answer,
        redact=redact,
        max_tokens=max_tokens or settings.llm_context_tokens,
        validation_share=validation_share if validation is not None else 0.0,
    )
    built = build(_turns(chats, since, until), options)
    write_jsonl(output, built.train)
    if validation is not None:
        write_jsonl(validation, built.validation)
    if preference is not None:
        write_jsonl(preference, built.preference)
    for line in summary(built, price_per_million):
        click.echo(line)
    if not built.train:
        click.echo(
            "No examples yet: rate answers with 👍, correct them (👎 then a reply, or /correct), "
            "or pass --all.",
            err=True,
        )


@dataset.command(name="from-docs")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: stdout"
)
@click.option("--per-passage", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--scope", "scopes", multiple=True, callback=_scope, help="default: every scope")
def from_docs(output: Path | None, per_passage: int, scopes: tuple[str, ...]) -> None:
    """Question-and-answer examples the chat model writes from learned documents, each citing
    its passage, in OpenAI's chat fine-tuning JSONL."""
    from tgtrainer.llm.factory import build_chat_model
    from tgtrainer.storage import Database
    from tgtrainer.storage.knowledge import KnowledgeStore
    from tgtrainer.training.checks import chat_example_errors
    from tgtrainer.training.dataset import write_jsonl
    from tgtrainer.training.from_docs import generate

    settings = _settings()
    with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
        store = KnowledgeStore(database)
        passages = store.document_passages(list(scopes) or store.scopes())
    if not passages:
        raise click.ClickException("No documents learned yet: `tgtrainer kb add FILE` first.")
    try:
        model = build_chat_model(settings)
    except ConfigurationError as error:
        raise click.ClickException(f"Configuration error: {error}") from None

    async def run() -> Any:
        with click.progressbar(
            length=len(passages), label="Writing questions", file=sys.stderr
        ) as bar:
            try:
                return await generate(
                    model,
                    passages,
                    per_passage=per_passage,
                    system_prompt=settings.system_prompt,
                    progress=lambda done: bar.update(done - bar.pos),
                )
            finally:
                await model.aclose()

    generated = asyncio.run(run())
    limit = settings.llm_context_tokens
    examples = [e for e in generated.examples if not chat_example_errors(e, limit)]
    if output is None:
        for example in examples:
            click.echo(json.dumps(example, ensure_ascii=False))
    else:
        write_jsonl(output, examples)
    click.echo(
        f"{len(examples)} examples from {len(passages)} passages; dropped: "
        f"{generated.duplicates} duplicates, {generated.ungrounded} not grounded in their "
        f"passage, {len(generated.examples) - len(examples)} failing the format checks; "
        f"{generated.failed_passages} passages the model could not answer for",
        err=True,
    )
