"""Turning a file into sections of text, by format; every failure is a `DocumentError`.

Runs in a worker thread (parsing is blocking). `progress` is called with a short status line
("Reading page 12/300...") as work advances; it must be cheap and thread-safe.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tgtrainer.knowledge.errors import (
    DocumentTooLargeError,
    NoTextError,
    UnreadableDocumentError,
    UnsupportedFormatError,
)
from tgtrainer.knowledge.text import decode_text
from tgtrainer.knowledge.types import ExtractedDocument, Section

Progress = Callable[[str], None]
FORMATS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".csv": "csv",
    ".json": "json",
    ".epub": "epub",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
    ".webp": "image",
}
MIME_FORMATS: dict[str, str] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/html": "html",
    "text/csv": "csv",
    "application/json": "json",
    "application/epub+zip": "epub",
    "image/png": "image",
    "image/jpeg": "image",
}
SUPPORTED = (
    "PDF, DOCX, TXT, Markdown, HTML, CSV, JSON and EPUB (and images, where OCR is installed)"
)
OCR_SECONDS = 120


# PDFium is not thread-safe, and documents are read in worker threads: one caller at a time.
_PDFIUM = threading.Lock()
OCR_DPI = 300  # Tesseract reads body text best at about 300 dots per inch
OCR_MAX_PIXELS = 5000  # the longer side of a page or image read: a huge one must not eat memory
IMAGE_MAX_MEGAPIXELS = 50  # a phone's photo is 12-48


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024  # the file as sent
    max_pages: int = 500
    max_unpacked_bytes: int = 100 * 1024 * 1024  # what a DOCX/EPUB may unpack to
    max_scanned_pages: int = 100  # pages read by OCR, a few seconds each


def detect_format(name: str, mime_type: str | None = None) -> str:
    """The format of a file by its name (then its MIME type); raises `UnsupportedFormatError`."""
    suffix = PurePosixPath(name.lower()).suffix
    found = FORMATS.get(suffix) or MIME_FORMATS.get((mime_type or "").split(";")[0].strip())
    if found is None:
        kind = f"{suffix} files" if suffix else "this kind of file"
        raise UnsupportedFormatError(f"I can't read {kind}; send {SUPPORTED}.")
    return found


@dataclass(frozen=True, slots=True)
class Admitted:
    """A file the bot agreed to read: its name as the user gave it and its format."""

    name: str
    kind: str
    mime_type: str | None = None


def admit(
    name: str, mime_type: str | None, size: int | None, limits: Limits = Limits()
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
    limits: Limits = Limits(),
    progress: Progress | None = None,
) -> ExtractedDocument:
    """The text of the admitted file now at `path`, in sections. Its real size is checked
    again: what a sender says of a file is not always true."""
    check_size(document.name, path.stat().st_size, limits)
    report = progress or (lambda _: None)
    extracted = _EXTRACTORS[document.kind](path, limits, report)
    if not any(section.text.strip() for section in extracted.sections):
        raise NoTextError(f"I found no text in {document.name}.")
    return extracted


# -- PDF -------------------------------------------------------------------------------------


def _pdf(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
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
    sections = []
    scanned = []  # pages without a text layer: pictures of text, for OCR
    for number, page in enumerate(reader.pages, start=1):
        progress(f"Reading page {number}/{total}...")
        try:
            text = page.extract_text() or ""
        except Exception as error:  # one broken page stream fails the document, clearly
            raise not_pdf from error
        if text.strip():
            sections.append(Section(text, page=number))
        else:
            scanned.append(number)
    if scanned:
        sections += _pdf_ocr(path, scanned, total, limits, progress, has_text=bool(sections))
        sections.sort(key=lambda section: section.page or 0)
    if not sections:
        raise NoTextError(
            "This PDF has no text layer (it looks scanned) and I could read no text in its pages."
        )
    return ExtractedDocument(sections, pages=total, title=title)


def _pdf_ocr(
    path: Path,
    numbers: list[int],
    total: int,
    limits: Limits,
    progress: Progress,
    *,
    has_text: bool,
) -> list[Section]:
    """The text of scanned pages (1-based `numbers`): each rendered by PDFium, read by OCR."""
    import pypdfium2

    if shutil.which("tesseract") is None:
        if has_text:
            return []  # the pages with a text layer are learned; the pictures are skipped
        raise NoTextError(
            "This PDF has no text layer (it looks scanned), and OCR (Tesseract) is not "
            "installed on this server to read its pages."
        )
    if len(numbers) > limits.max_scanned_pages:
        raise DocumentTooLargeError(
            f"This PDF has {len(numbers)} scanned pages; I read at most "
            f"{limits.max_scanned_pages} scanned pages from one document. Split it and send the "
            "parts."
        )
    sections = []
    with _PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(path)
        except pypdfium2.PdfiumError as error:
            raise UnreadableDocumentError(
                "This file is not a readable PDF; it may be damaged."
            ) from error
    try:
        for done, number in enumerate(numbers, start=1):
            progress(f"Reading page {number}/{total} (scanned, {done}/{len(numbers)})...")
            with _PDFIUM:
                image = _render_page(pdf, number - 1)
            text = _ocr(image, not_an_image=f"Page {number} of this PDF could not be read.")
            if text.strip():
                sections.append(Section(text, page=number))
    finally:
        with _PDFIUM:
            pdf.close()
    return sections


def _render_page(pdf: Any, index: int) -> bytes:
    """A page as a grey PNG at `OCR_DPI`, or smaller if that would exceed `OCR_MAX_PIXELS`."""
    buffer = io.BytesIO()
    try:
        page = pdf[index]
        try:
            width, height = page.get_size()  # in points, 1/72 inch
            scale = min(OCR_DPI / 72, OCR_MAX_PIXELS / max(width, height, 1))
            bitmap = page.render(scale=scale, grayscale=True)
            try:  # closed here, not by a finaliser in some other thread
                bitmap.to_pil().save(buffer, format="PNG")
            finally:
                bitmap.close()
        finally:
            page.close()
    except Exception as error:  # PDFium's error types vary; a page that will not draw is damage
        raise UnreadableDocumentError(
            "A page of this PDF could not be drawn; it may be damaged."
        ) from error
    return buffer.getvalue()


def _pdf_title(reader: Any) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        return None
    return str(title).strip() or None if title else None


# -- DOCX ------------------------------------------------------------------------------------


def _check_zip(path: Path, limits: Limits, what: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnreadableDocumentError(
            f"This file is not a readable {what}; it may be damaged."
        ) from error
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_unpacked_bytes:
        archive.close()
        raise DocumentTooLargeError(
            f"This {what} unpacks to {unpacked // 2**20} MB, more than the "
            f"{limits.max_unpacked_bytes // 2**20} MB I accept."
        )
    return archive


def _docx(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_zip(path, limits, "DOCX document").close()
    try:
        document = docx.Document(str(path))
        blocks = list(document.iter_inner_content())
    except Exception as error:
        raise UnreadableDocumentError(
            "This file is not a readable DOCX document; it may be damaged."
        ) from error
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []

    def close() -> None:
        if lines:
            sections.append(Section("\n".join(lines), heading=heading))
            lines.clear()

    for index, block in enumerate(blocks, start=1):
        if index % 50 == 0:
            progress(f"Reading part {index}/{len(blocks)}...")
        if isinstance(block, Paragraph):
            text = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if not text:
                continue
            if style == "Title" or style.startswith("Heading"):
                close()
                heading = text
                title = title or (text if style == "Title" else None)
                lines.append(text)
            else:
                lines.append(text)
        elif isinstance(block, Table):
            rows = []
            for row in block.rows:
                cells = _unique(cell.text.strip() for cell in row.cells)
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                lines.append("\n".join(rows))
    close()
    return ExtractedDocument(sections, title=title)


def _unique(cells: Iterator[str]) -> list[str]:
    """Merged cells repeat their text in python-docx; keep each once per row."""
    seen: list[str] = []
    for cell in cells:
        if not seen or cell != seen[-1]:
            seen.append(cell)
    return seen


# -- plain text, Markdown --------------------------------------------------------------------

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _read_text(path: Path, limits: Limits) -> str:
    data = path.read_bytes()
    text = decode_text(data)
    if text is None:
        raise UnreadableDocumentError("This file does not look like text in any encoding I know.")
    return text


def _text(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    return ExtractedDocument([Section(_read_text(path, limits))])


def _markdown(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    return ExtractedDocument(markdown_sections(_read_text(path, limits)))


def markdown_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _MARKDOWN_HEADING.match(line)
        if match:
            if "".join(lines).strip():
                sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = match.group(2), [match.group(2)]
        else:
            lines.append(line)
    if "".join(lines).strip():
        sections.append(Section("\n".join(lines), heading=heading))
    return sections


# -- HTML, EPUB ------------------------------------------------------------------------------

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = (*_HEADINGS, "p", "li", "pre", "blockquote", "tr", "dt", "dd", "caption", "td", "th")


def html_sections(markup: str) -> tuple[list[Section], str | None]:
    """Sections split at headings, and the page title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "nav"]):
        if tag.name == "head":
            continue
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    body = soup.body or soup
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    for element in body.find_all(_BLOCKS):
        # A block inside another block (a <p> in an <li>) is read with its parent.
        if element.find_parent(_BLOCKS) is not None:
            continue
        if element.name == "tr":
            text = " | ".join(
                cell.get_text(" ", strip=True) for cell in element.find_all(["td", "th"])
            )
        else:
            text = element.get_text("\n" if element.name == "pre" else " ", strip=True)
        if not text:
            continue
        if element.name in _HEADINGS:
            if lines:
                sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = text, [text]
        else:
            lines.append(text)
    if lines:
        sections.append(Section("\n".join(lines), heading=heading))
    if not sections:  # markup without block tags: take all its text
        text = body.get_text("\n", strip=True)
        sections = [Section(text)] if text else []
    return sections, title or None


def _html(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    sections, title = html_sections(_read_text(path, limits))
    return ExtractedDocument(sections, title=title)


def _epub(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    from bs4 import BeautifulSoup

    damaged = UnreadableDocumentError("This file is not a readable EPUB book; it may be damaged.")
    with _check_zip(path, limits, "EPUB book") as archive:
        try:
            container = BeautifulSoup(archive.read("META-INF/container.xml"), "html.parser")
            rootfile = container.find("rootfile")
            opf_path = str(rootfile["full-path"]) if rootfile else ""
            opf = BeautifulSoup(archive.read(opf_path), "html.parser")
        except (KeyError, TypeError) as error:
            raise damaged from error
        base = PurePosixPath(opf_path).parent
        manifest = {
            str(item.get("id")): str(item.get("href"))
            for item in opf.find_all("item")
            if item.get("id") and item.get("href")
        }
        spine = [str(ref.get("idref")) for ref in opf.find_all("itemref")]
        title_tag = opf.find("dc:title")
        title = title_tag.get_text(strip=True) if title_tag else None
        sections: list[Section] = []
        for number, idref in enumerate(spine, start=1):
            progress(f"Reading chapter {number}/{len(spine)}...")
            href = manifest.get(idref)
            if href is None:
                continue
            try:
                markup = archive.read(str(base / href)).decode("utf-8", errors="replace")
            except KeyError:
                continue
            found, _ = html_sections(markup)
            sections.extend(found)
    return ExtractedDocument(sections, title=title)


# -- CSV, JSON -------------------------------------------------------------------------------

ROWS_PER_SECTION = 20


def _csv(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    text = _read_text(path, limits)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        return ExtractedDocument([])
    header, body = rows[0], rows[1:]
    lines = [
        "; ".join(
            f"{name.strip()}: {value.strip()}"
            for name, value in zip(header, row, strict=False)
            if value.strip()
        )
        for row in body
    ] or [", ".join(header)]
    sections = [
        Section(
            "\n".join(lines[start : start + ROWS_PER_SECTION]),
            heading=f"rows {start + 1}-{min(start + ROWS_PER_SECTION, len(lines))}",
        )
        for start in range(0, len(lines), ROWS_PER_SECTION)
    ]
    return ExtractedDocument(sections)


def _json(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    try:
        data = json.loads(_read_text(path, limits))
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


# -- images: OCR with Tesseract, when it is installed ------------------------------------------


def _image(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    if shutil.which("tesseract") is None:
        raise NoTextError(
            "I can't read text in images here: OCR (Tesseract) is not installed on this server."
        )
    progress("Reading the text in the image...")
    text = _ocr(_readable_image(path), not_an_image="This file is not an image I can read.")
    if not text.strip():
        raise NoTextError(
            "I found no text in this image. I learn the text in pictures; I can't describe "
            "what they show."
        )
    return ExtractedDocument([Section(text)])


def _readable_image(path: Path) -> bytes:
    """The image's bytes for OCR, at most `OCR_MAX_PIXELS` a side: a phone's 48-megapixel photo
    is shrunk first, and a few kilobytes that declare billions of pixels are refused before
    anything holds them in memory."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:  # reads the header only
            width, height = image.size
            if width * height > IMAGE_MAX_MEGAPIXELS * 1_000_000:
                raise DocumentTooLargeError(
                    f"This image is {width} × {height} pixels; I read images of up to "
                    f"{IMAGE_MAX_MEGAPIXELS} megapixels."
                )
            if max(width, height) <= OCR_MAX_PIXELS:
                return path.read_bytes()
            image.draft("L", (OCR_MAX_PIXELS, OCR_MAX_PIXELS))  # JPEG: decode at a smaller scale
            image.thumbnail((OCR_MAX_PIXELS, OCR_MAX_PIXELS))
            buffer = io.BytesIO()
            image.convert("L").save(buffer, format="PNG")
            return buffer.getvalue()
    except Image.DecompressionBombError as error:  # Pillow's own, stricter limit
        raise DocumentTooLargeError(
            f"This image has too many pixels; I read images of up to {IMAGE_MAX_MEGAPIXELS} "
            "megapixels."
        ) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise UnreadableDocumentError("This file is not an image I can read.") from error


def _ocr(image: bytes, *, not_an_image: str) -> str:
    """The text Tesseract reads in an image file's bytes (given on its standard input)."""
    tesseract = shutil.which("tesseract")
    assert tesseract is not None, "callers check that Tesseract is installed"
    try:
        done = subprocess.run(
            [tesseract, "stdin", "stdout"],
            input=image,
            capture_output=True,
            timeout=OCR_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadableDocumentError("Reading the text in this image took too long.") from error
    if done.returncode != 0:
        raise UnreadableDocumentError(not_an_image)
    return done.stdout.decode("utf-8", errors="replace")


_EXTRACTORS: dict[str, Callable[[Path, Limits, Progress], ExtractedDocument]] = {
    "pdf": _pdf,
    "docx": _docx,
    "text": _text,
    "markdown": _markdown,
    "html": _html,
    "csv": _csv,
    "json": _json,
    "epub": _epub,
    "image": _image,
}
