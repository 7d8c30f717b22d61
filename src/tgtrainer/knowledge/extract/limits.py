"""What a reader may spend on one document, and how it reports its progress.

Apart from the registry so that the readers, which the registry names, can use them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[str], None]
"""Called with a short status line ("Reading page 12/300...") as work advances; it must be cheap
and thread-safe (readers run in worker threads)."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024  # the file as sent
    max_pages: int = 500
    max_unpacked_bytes: int = 100 * 1024 * 1024  # what a DOCX/EPUB may unpack to
    max_scanned_pages: int = 100  # pages read by OCR, a few seconds each
    ocr_languages: str = "eng"  # Tesseract's language names joined by "+": "eng+rus+deu"


DEFAULT_LIMITS = Limits()
