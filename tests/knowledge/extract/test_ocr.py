"""Text in pictures: scanned PDF pages and images, read by Tesseract; bounded in pixels."""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from tests.knowledge.extract.files import all_text, write
from tests.support.documents import make_pdf, make_scanned_pdf
from tgtrainer.knowledge.errors import DocumentTooLargeError, NoTextError
from tgtrainer.knowledge.extract import Limits, admit, extract

SCANNED_PAGE = "Harbour rules\n\nThe lighthouse keeper\nfeeds the gulls at dawn."


def test_images_without_tesseract_get_a_clear_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)  # a server without tesseract-ocr
    with pytest.raises(NoTextError, match="OCR \\(Tesseract\\) is not installed"):
        extract(
            write(tmp_path, "photo.png", b"\x89PNG\r\n\x1a\nfake"), admit("photo.png", None, None)
        )


def test_text_in_an_image_is_read_with_tesseract(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1000, 160), 255)
    ImageDraw.Draw(image).text(
        (30, 50), "The heron gate code is 4452", fill=0, font=ImageFont.load_default(size=52)
    )
    image.save(tmp_path / "gate.png")
    document = extract(tmp_path / "gate.png", admit("gate.png", None, None))
    text = " ".join(section.text for section in document.sections)
    assert "heron gate code" in text.lower() and "4452" in text, text


def test_scanned_pdf_pages_are_read_with_tesseract(tmp_path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(io.BytesIO(make_pdf(["A typed page about the harbour."])))
    writer.append(io.BytesIO(make_scanned_pdf([SCANNED_PAGE])))
    mixed = io.BytesIO()
    writer.write(mixed)
    path = write(tmp_path, "mixed.pdf", mixed.getvalue())
    lines: list[str] = []
    document = extract(path, admit("mixed.pdf", None, None), progress=lines.append)
    assert [s.page for s in document.sections] == [1, 2]
    assert "typed page about the harbour" in document.sections[0].text
    assert "lighthouse keeper" in document.sections[1].text.lower(), document.sections[1].text
    assert lines == [
        "Reading page 1/2...",
        "Reading page 2/2...",
        "Reading page 2/2 (scanned, 1/1)...",  # only the page without a text layer
    ]


def test_a_scanned_pdf_without_tesseract_gets_a_clear_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = write(tmp_path, "scan.pdf", make_scanned_pdf([SCANNED_PAGE]))
    with pytest.raises(NoTextError, match=r"no text layer.*Tesseract\) is not installed"):
        extract(path, admit("scan.pdf", None, None))


def test_too_many_scanned_pages_are_refused_before_any_ocr(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", make_scanned_pdf(["one", "two", "three"]))
    lines: list[str] = []
    with pytest.raises(DocumentTooLargeError, match="3 scanned pages; I read at most 2"):
        extract(
            path,
            admit("scan.pdf", None, None),
            limits=Limits(max_scanned_pages=2),
            progress=lines.append,
        )
    assert not any("scanned" in line for line in lines)


def test_blank_scanned_pages_have_no_text(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.pdf", make_scanned_pdf(["", ""]))
    with pytest.raises(NoTextError, match="could read no text in its pages"):
        extract(path, admit("blank.pdf", None, None))


def test_a_huge_scanned_page_is_drawn_at_a_bounded_size(tmp_path: Path) -> None:
    from PIL import Image

    poster = Image.new("L", (400, 400), 255)
    buffer = io.BytesIO()
    poster.save(buffer, "PDF", resolution=1)  # 400 inches square: 120,000 px at 300 dpi
    path = write(tmp_path, "poster.pdf", buffer.getvalue())
    with pytest.raises(NoTextError):  # drawn at 5,000 px a side, read, nothing found
        extract(path, admit("poster.pdf", None, None))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` × `height` pixels in a few bytes (what an image bomb does)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    idat = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [8_000, 100_000])  # 64 megapixels; 10 gigapixels
def test_an_image_declaring_too_many_pixels_is_refused_before_it_is_decoded(
    tmp_path: Path, side: int
) -> None:
    path = write(tmp_path, "bomb.png", png_header(side, side))
    assert path.stat().st_size < 200
    with pytest.raises(DocumentTooLargeError, match="up to 50 megapixels"):
        extract(path, admit("bomb.png", None, None))


def test_a_big_photo_is_shrunk_before_ocr(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (7000, 1400), 255)  # 9.8 megapixels, wider than OCR reads
    ImageDraw.Draw(image).text(
        (200, 450), "The boathouse key is 7310", fill=0, font=ImageFont.load_default(size=300)
    )
    image.save(tmp_path / "wide.jpg", quality=90)
    text = all_text(tmp_path / "wide.jpg")
    assert "boathouse key" in text.lower() and "7310" in text, text
