"""PDF: the text layer of each page, read with pypdf, without its running heads and feet, and cut
at the headings (from the outline, else from the fonts: see `pdf_headings`); pages without a
text layer go to OCR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tgtrainer.knowledge.errors import (
    DocumentTooLargeError,
    NoTextError,
    UnreadableDocumentError,
)
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.ocr import read_scanned_pages
from tgtrainer.knowledge.extract.outline import Outline
from tgtrainer.knowledge.extract.pdf_headings import (
    Heading,
    StyledLine,
    font_headings,
    outline_headings,
    split_at_headings,
    styled_text,
)
from tgtrainer.knowledge.extract.running_lines import without_running_lines
from tgtrainer.knowledge.types import ExtractedDocument, Section


def read_pdf(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    import pypdf
    from pypdf.errors import PyPdfError

    not_pdf = UnreadableDocumentError("This file is not a readable PDF; it may be damaged.")
    if not path.read_bytes()[:1024].lstrip().startswith(b"%PDF"):
        raise not_pdf
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocumentError(
                "This PDF is password-protected; send a copy without the password."
            )
        total = len(reader.pages)
    except UnreadableDocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise not_pdf from error
    except Exception as error:  # pypdf raises odd types on broken files; none must escape
        raise not_pdf from error
    if total > limits.max_pages:
        raise DocumentTooLargeError(
            f"This PDF has {total} pages; I learn at most {limits.max_pages} pages from one "
            "document. Split it and send the parts."
        )
    title = _pdf_title(reader)
    texts: list[str] = []
    styles: list[list[StyledLine]] = []
    for number, page in enumerate(reader.pages, start=1):
        progress(f"Reading page {number}/{total}...")
        try:
            text, lines = styled_text(page)
        except Exception as error:  # one broken page stream fails the document, clearly
            raise not_pdf from error
        texts.append(text)
        styles.append(lines)
    headings = outline_headings(reader) or font_headings(styles)
    sections = _sections(without_running_lines(texts), headings)
    scanned = [number for number, text in enumerate(texts, start=1) if not text.strip()]
    if scanned:
        sections += read_scanned_pages(
            path, scanned, total, limits, progress, has_text=bool(sections)
        )
        sections.sort(key=lambda section: section.page or 0)
    if not sections:
        raise NoTextError(
            "This PDF has no text layer (it looks scanned) and I could read no text in its pages."
        )
    return ExtractedDocument(sections, pages=total, title=title)


def _sections(texts: list[str], headings: list[Heading]) -> list[Section]:
    """Each page's text cut at its headings, each part with its page and section path; a part
    before a page's first heading continues the section of the page before."""
    by_page: dict[int, list[Heading]] = {}
    for heading in headings:
        by_page.setdefault(heading.page, []).append(heading)
    outline = Outline()
    current: str | None = None
    sections = []
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            continue
        for opened, part in split_at_headings(text, by_page.get(number, [])):
            if opened is not None:
                outline.enter(opened.level, opened.title)
                current = opened.title
            if part.strip():
                sections.append(Section(part, number, current, outline.path))
    return sections


def _pdf_title(reader: Any) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        return None
    return str(title).strip() or None if title else None
