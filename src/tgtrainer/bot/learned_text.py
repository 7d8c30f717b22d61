"""What the bot says about documents once they are learned: one document, or a batch with a
line for each, with a warning for a document that gave little text for its size."""

from __future__ import annotations

from datetime import UTC, datetime

from tgtrainer.core.file_learning import Learned
from tgtrainer.knowledge.types import LearnResult

MESSAGE_CHARS = 3800  # a long summary or listing goes on in further messages


def describe(result: LearnResult, *, thin: bool = False) -> str:
    """What the bot says once one document is learned (`thin`: `core.file_learning.looks_thin`)."""
    document = result.document
    if result.status == "known":
        day = datetime.fromtimestamp(document.created_at, UTC).strftime("%Y-%m-%d")
        return f"I already know {document.name} (learned {day}); nothing changed."
    verb = "Updated" if result.status == "replaced" else "Learned"
    text = f"{verb} {document.name}: {_amount(result)}."
    if result.status == "replaced":
        text += " The new version replaces the old one."
    if document.first_heading:
        text += f"\nFirst heading: {document.first_heading}"
    if thin:
        text += f"\n{_thin_warning(result)}"
    for note in result.notes:
        text += f"\n{note}"
    return text + "\nAsk me about it."


def summarize(learned: list[Learned]) -> str:
    """What the bot says once a batch (or an archive) is learned: a line for each document."""
    done = [item for item in learned if item.result is not None]
    lines = [f"Learned {len(done)} of {counted(len(learned), 'document')}:"]
    for item in learned:
        result = item.result
        if result is None:
            lines.append(f"✗ {item.name}: {item.error}")
        elif result.status == "known":
            lines.append(f"• {item.name}: already known, nothing changed.")
        else:
            updated = " (updated)" if result.status == "replaced" else ""
            line = f"• {item.name}{updated}: {_amount(result)}."
            lines.append(line + (f" {_thin_warning(result)}" if item.thin else ""))
    if done:
        passages = sum(item.result.document.chunks for item in done if item.result)
        characters = sum(item.result.characters for item in done if item.result)
        lines.append(
            f"In all: {counted(passages, 'passage')}, {counted(characters, 'character')}. "
            "Ask me about them."
        )
    return "\n".join(lines)


def _amount(result: LearnResult) -> str:
    """'12 pages, 30 passages, 41,200 characters' (what is known of them)."""
    document = result.document
    parts = [f"{document.pages} pages"] if document.pages else []
    parts.append(counted(document.chunks, "passage"))
    if result.characters:
        parts.append(counted(result.characters, "character"))
    return ", ".join(parts)


def _thin_warning(result: LearnResult) -> str:
    document, characters = result.document, counted(result.characters, "character")
    if document.pages:
        return f"Its {document.pages} pages gave only {characters}; they may be mostly pictures."
    return (
        f"This {file_size(document.size)} file gave only {characters}; it may be mostly pictures "
        "or scripts."
    )


def in_messages(lines: list[str], limit: int = MESSAGE_CHARS) -> list[str]:
    """`lines` joined into messages of at most about `limit` characters each."""
    messages: list[str] = []
    for line in lines:
        if messages and len(messages[-1]) + len(line) < limit:
            messages[-1] += "\n" + line
        else:
            messages.append(line)
    return messages


def counted(number: int, noun: str) -> str:
    """'1 passage', '1,200 characters'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def file_size(size: int) -> str:
    """A file's size in MB or KB, for people."""
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(size / 1024, 0.1):.1f} KB"
