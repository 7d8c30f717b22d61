"""The formats the bot reads, the limits on a document, and the one admission of a file.

Every format is named here once: its suffixes, its MIME types, the word the user knows it by,
and its reader. A file is admitted by its name, MIME type and size before it is downloaded
(`admit`), its real size is checked again once it is here (`check_size`, from `extract`), and
`extract` hands it to the reader of its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tgtrainer.knowledge.errors import (
    DocumentTooLargeError,
    NoTextError,
    UnsupportedFormatError,
)
from tgtrainer.knowledge.extract import docx, epub, markup, ocr, pdf, plain, structured
from tgtrainer.knowledge.extract.limits import DEFAULT_LIMITS, Limits, Progress
from tgtrainer.knowledge.types import ExtractedDocument

Reader = Callable[[Path, Limits, Progress], ExtractedDocument]


@dataclass(frozen=True, slots=True)
class Format:
    """A kind of file the bot reads."""

    kind: str
    label: str  # the word the user knows it by: "PDF", "Markdown"
    suffixes: tuple[str, ...]
    mime_types: tuple[str, ...]
    read: Reader
    proviso: str | None = None  # when it is read only where something is installed


FORMATS: tuple[Format, ...] = (
    Format("pdf", "PDF", (".pdf",), ("application/pdf",), pdf.read_pdf),
    Format(
        "docx",
        "DOCX",
        (".docx",),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        docx.read_docx,
    ),
    Format("text", "TXT", (".txt", ".text", ".log"), ("text/plain",), plain.read_text),
    Format("markdown", "Markdown", (".md", ".markdown"), ("text/markdown",), plain.read_markdown),
    Format("html", "HTML", (".html", ".htm", ".xhtml"), ("text/html",), markup.read_html),
    Format("csv", "CSV", (".csv",), ("text/csv",), structured.read_csv),
    Format("json", "JSON", (".json",), ("application/json",), structured.read_json),
    Format("epub", "EPUB", (".epub",), ("application/epub+zip",), epub.read_epub),
    Format(
        "image",
        "images",
        (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"),
        ("image/png", "image/jpeg"),
        ocr.read_image,
        proviso="where OCR is installed",
    ),
)
BY_KIND: dict[str, Format] = {format.kind: format for format in FORMATS}
BY_SUFFIX: dict[str, Format] = {s: format for format in FORMATS for s in format.suffixes}
BY_MIME_TYPE: dict[str, Format] = {m: format for format in FORMATS for m in format.mime_types}


def _supported() -> str:
    """'PDF, DOCX, ... and EPUB (and images, where OCR is installed)'."""
    plain_labels = [format.label for format in FORMATS if format.proviso is None]
    sentence = ", ".join(plain_labels[:-1]) + " and " + plain_labels[-1]
    for format in FORMATS:
        if format.proviso is not None:
            sentence += f" (and {format.label}, {format.proviso})"
    return sentence


SUPPORTED = _supported()


def detect_format(name: str, mime_type: str | None = None) -> str:
    """The format of a file by its name (then its MIME type); raises `UnsupportedFormatError`."""
    suffix = PurePosixPath(name.lower()).suffix
    found = BY_SUFFIX.get(suffix) or BY_MIME_TYPE.get((mime_type or "").split(";")[0].strip())
    if found is None:
        kind = f"{suffix} files" if suffix else "this kind of file"
        raise UnsupportedFormatError(f"I can't read {kind}; send {SUPPORTED}.")
    return found.kind


@dataclass(frozen=True, slots=True)
class Admitted:
    """A file the bot agreed to read: its name as the user gave it and its format."""

    name: str
    kind: str
    mime_type: str | None = None


def admit(
    name: str, mime_type: str | None, size: int | None, limits: Limits = DEFAULT_LIMITS
) -> Admitted:
    """Judge a file by what is known of it before it is downloaded: its name, its MIME type and
    its size (None when the sender did not say). Raises a `DocumentError` with the sentence for
    the user; this is the one place a document's format and size are checked."""
    kind = detect_format(name, mime_type)
    check_size(name, size, limits)
    return Admitted(name, kind, mime_type)


def check_size(name: str, size: int | None, limits: Limits) -> None:
    """Refuse an empty file, or one over `limits.max_bytes`; None (unknown) passes."""
    if size == 0:
        raise NoTextError(f"{name} is empty.")
    if size is not None and size > limits.max_bytes:
        raise DocumentTooLargeError(
            f"{name} is {_size(size)}; I accept files up to {limits.max_bytes / 2**20:g} MB."
        )


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(size / 1024, 0.1):.1f} KB"


def extract(
    path: Path,
    document: Admitted,
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> ExtractedDocument:
    """The text of the admitted file now at `path`, in sections (possibly none: whether a
    document holds any text is decided once, when it is learned). Its real size is checked
    again: what a sender says of a file is not always true."""
    check_size(document.name, path.stat().st_size, limits)
    return BY_KIND[document.kind].read(path, limits, progress or (lambda _: None))
