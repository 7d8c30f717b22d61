"""Turning a file into sections of text, by format; every failure is a `DocumentError`.

`registry` names the formats and admits a file (format and size, once); `extract` hands the
admitted file to its reader: `pdf` (text layer), `ocr` (scanned pages, images), `docx`,
`plain` (text, Markdown), `markup` (HTML), `epub`, `structured` (CSV, JSON). `zip_guard` keeps
zipped formats from unpacking without bound; `archive` lists and unpacks ZIP archives of
documents, one file at a time. Readers run in worker threads (parsing blocks).
"""

from tgtrainer.knowledge.extract.limits import DEFAULT_LIMITS, Limits, Progress
from tgtrainer.knowledge.extract.markup import html_sections
from tgtrainer.knowledge.extract.plain import markdown_sections
from tgtrainer.knowledge.extract.registry import (
    FORMATS,
    SUPPORTED,
    Admitted,
    Format,
    admit,
    check_size,
    detect_format,
    extract,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "SUPPORTED",
    "Admitted",
    "Format",
    "Limits",
    "Progress",
    "admit",
    "check_size",
    "detect_format",
    "extract",
    "html_sections",
    "markdown_sections",
]
