"""Text in pictures, read by Tesseract when it is installed: scanned PDF pages (drawn by
PDFium) and images (PNG, JPEG, TIFF...).

Tesseract reads in the languages of `OCR_LANGUAGES` ("eng+rus"); a configured language whose
data is not installed is left out, and the document's notes say so (and how to install it).
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tgtrainer.knowledge.errors import (
    DocumentTooLargeError,
    NoTextError,
    UnreadableDocumentError,
)
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.types import ExtractedDocument, Section

log = logging.getLogger(__name__)
OCR_SECONDS = 120
OCR_DPI = 300  # Tesseract reads body text best at about 300 dots per inch
OCR_MAX_PIXELS = 5000  # the longer side of a page or image read: a huge one must not eat memory
IMAGE_MAX_MEGAPIXELS = 50  # a phone's photo is 12-48

# PDFium is not thread-safe, and documents are read in worker threads: one caller at a time.
_PDFIUM = threading.Lock()


# -- scanned PDF pages -----------------------------------------------------------------------


def read_scanned_pages(
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
    languages = ocr_languages(limits.ocr_languages)
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
            text = _ocr(
                image,
                languages.tesseract,
                not_an_image=f"Page {number} of this PDF could not be read.",
            )
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


# -- images ----------------------------------------------------------------------------------


def read_image(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    if shutil.which("tesseract") is None:
        raise NoTextError(
            "I can't read text in images here: OCR (Tesseract) is not installed on this server."
        )
    languages = ocr_languages(limits.ocr_languages)
    progress("Reading the text in the image...")
    text = read_text_in_image(
        path.read_bytes(), languages, not_an_image="This file is not an image I can read."
    )
    if not text.strip():
        raise NoTextError(
            "I found no text in this image. I learn the text in pictures; I can't describe "
            "what they show."
        )
    return ExtractedDocument([Section(text)], notes=languages.notes())


def read_text_in_image(
    data: bytes, languages: OcrLanguages, *, not_an_image: str = "This is not a picture I can read."
) -> str:
    """The text Tesseract reads in an image file's bytes ("" when none); raises a
    `DocumentError` for what is not an image or too large. Callers check `ocr_available()`."""
    return _ocr(_readable_image(data), languages.tesseract, not_an_image=not_an_image)


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


# -- languages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OcrLanguages:
    """The configured OCR languages split into those Tesseract has data for and the rest."""

    used: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def tesseract(self) -> str:
        """The `-l` argument: "eng+rus"."""
        return "+".join(self.used)

    def notes(self) -> list[str]:
        """What the user is told with what was learned: the languages read, those missing."""
        said = [f"Read with OCR ({self.tesseract})."]
        if self.missing:
            said.append(missing_languages_sentence(self.missing))
        return said


def missing_languages_sentence(missing: tuple[str, ...]) -> str:
    names = "+".join(missing)
    packages = " ".join(f"tesseract-ocr-{name.lower().replace('_', '-')}" for name in missing)
    return (
        f"OCR_LANGUAGES asks for {names}, but Tesseract has no data for "
        f"{'it' if len(missing) == 1 else 'them'} on this server: text in "
        f"{'that language' if len(missing) == 1 else 'those languages'} may be misread. The "
        f"server's admin can install {packages} (Debian/Ubuntu)."
    )


def ocr_languages(configured: str) -> OcrLanguages:
    """`configured` ("eng+rus+deu") checked against `tesseract --list-langs`. Raises
    `NoTextError` when Tesseract has none of them."""
    wanted = tuple(name for name in configured.split("+") if name)
    installed = installed_languages()
    used = tuple(name for name in wanted if name in installed)
    missing = tuple(name for name in wanted if name not in installed)
    if not used:
        raise NoTextError(
            f"I can't read text in pictures here: OCR_LANGUAGES is {configured}, and Tesseract "
            f"on this server has data only for {', '.join(sorted(installed)) or 'no language'}."
        )
    return OcrLanguages(used, missing)


def warn_missing_ocr_languages(configured: str) -> None:
    """Log, at start-up, the configured OCR languages Tesseract has no data for."""
    if not ocr_available():
        log.info("Tesseract is not installed: text in pictures is not read")
        return
    try:
        missing = ocr_languages(configured).missing
    except NoTextError as error:
        log.warning("%s", error)
        return
    if missing:
        log.warning("%s", missing_languages_sentence(missing))


@cache
def installed_languages() -> frozenset[str]:
    """The languages Tesseract has data for (`tesseract --list-langs`, asked once)."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return frozenset()
    try:
        done = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (subprocess.TimeoutExpired, OSError):
        return frozenset()
    # The first line is a header: 'List of available languages in "/usr/share/..." (4):'.
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def _readable_image(data: bytes) -> bytes:
    """The image's bytes for OCR, at most `OCR_MAX_PIXELS` a side: a phone's 48-megapixel photo
    is shrunk first, and a few kilobytes that declare billions of pixels are refused before
    anything holds them in memory."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            if width * height > IMAGE_MAX_MEGAPIXELS * 1_000_000:
                raise DocumentTooLargeError(
                    f"This image is {width} × {height} pixels; I read images of up to "
                    f"{IMAGE_MAX_MEGAPIXELS} megapixels."
                )
            if max(width, height) <= OCR_MAX_PIXELS:
                return data
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


# -- Tesseract -------------------------------------------------------------------------------


def _ocr(image: bytes, languages: str, *, not_an_image: str) -> str:
    """The text Tesseract reads in `languages` ("eng+rus") in an image file's bytes (given on
    its standard input)."""
    tesseract = shutil.which("tesseract")
    assert tesseract is not None, "callers check that Tesseract is installed"
    try:
        done = subprocess.run(
            [tesseract, "stdin", "stdout", "-l", languages],
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
