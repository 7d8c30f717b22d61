"""CSV and JSON: records written out as lines of named fields, so that a passage says what
each value is ("city: Oslo; population: 700000", "server.port: 8080")."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.plain import file_text
from tgtrainer.knowledge.types import ExtractedDocument, Section

ROWS_PER_SECTION = 20


def read_csv(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    text = file_text(path)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        return ExtractedDocument([])
    header, body = rows[0], rows[1:]
    width = max(len(row) for row in rows)
    # A row longer than the header keeps its extra values, named by their column.
    names = [name.strip() or f"column {n}" for n, name in enumerate(header, start=1)]
    names += [f"column {n}" for n in range(len(header) + 1, width + 1)]
    lines = [
        "; ".join(
            f"{name}: {value.strip()}"
            for name, value in zip(names, row, strict=False)
            if value.strip()
        )
        for row in body
    ] or [", ".join(header)]
    if body:  # the header's names, even of columns that are empty in every row
        lines[0] = "columns: " + ", ".join(name.strip() for name in header) + "\n" + lines[0]
    sections = [
        Section(
            "\n".join(lines[start : start + ROWS_PER_SECTION]),
            heading=f"rows {start + 1}-{min(start + ROWS_PER_SECTION, len(lines))}",
        )
        for start in range(0, len(lines), ROWS_PER_SECTION)
    ]
    return ExtractedDocument(sections)


def read_json(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    try:
        data = json.loads(file_text(path))
    except json.JSONDecodeError as error:
        raise UnreadableDocumentError("This file is not valid JSON.") from error
    lines = [f"{key}: {value}" if key else str(value) for key, value in _flatten(data, "")]
    return ExtractedDocument([Section("\n".join(lines))] if lines else [])


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")
    elif value is not None and str(value).strip():
        yield path, str(value)
