"""Extraction: each format yields its text with pages or headings; bad files fail clearly."""

from __future__ import annotations

import codecs
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from tests.support.documents import make_docx, make_pdf, make_scanned_pdf, make_zip_bomb
from tgtrainer.knowledge.errors import (
    DocumentTooLargeError,
    NoTextError,
    UnreadableDocumentError,
    UnsupportedFormatError,
)
from tgtrainer.knowledge.extract import Limits, admit, detect_format, extract


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def all_text(path: Path, name: str | None = None, **kwargs: object) -> str:
    document = extract(path, admit(name or path.name, None, None), **kwargs)  # type: ignore[arg-type]
    return "\n".join(section.text for section in document.sections)


def test_pdf_keeps_pages_and_reports_progress(tmp_path: Path) -> None:
    path = write(tmp_path, "r.pdf", make_pdf(["First page text.", "Second page: the otter."]))
    lines: list[str] = []
    document = extract(path, admit("r.pdf", None, None), progress=lines.append)
    assert document.pages == 2
    assert [s.page for s in document.sections] == [1, 2]
    assert "otter" in document.sections[1].text
    assert lines == ["Reading page 1/2...", "Reading page 2/2..."]


def test_pdf_over_the_page_limit_is_refused_with_the_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "big.pdf", make_pdf([f"page {i}" for i in range(12)]))
    with pytest.raises(DocumentTooLargeError, match=r"12 pages.*at most 10 pages"):
        extract(path, admit("big.pdf", None, None), limits=Limits(max_pages=10))


def test_encrypted_pdf_says_it_needs_the_password(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.pdf", make_pdf(["hidden"], password="pw"))
    with pytest.raises(UnreadableDocumentError, match="password"):
        extract(path, admit("secret.pdf", None, None))


@pytest.mark.parametrize("data", [b"%PDF-1.7\n garbage \x00\x01", b"not a pdf at all"])
def test_corrupt_pdf_is_unreadable(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableDocumentError, match="not a readable PDF"):
        extract(write(tmp_path, "broken.pdf", data), admit("broken.pdf", None, None))


def test_pdf_without_text_layer_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", make_pdf([""]))
    with pytest.raises(NoTextError, match="no text layer"):
        extract(path, admit("scan.pdf", None, None))


def test_docx_keeps_headings_and_tables(tmp_path: Path) -> None:
    data = make_docx(
        "Field Guide",
        [("Otters", "Otters hold hands while sleeping."), ("Beavers", "Beavers build dams.")],
        table=[["animal", "food"], ["otter", "clams"]],
    )
    document = extract(write(tmp_path, "g.docx", data), admit("g.docx", None, None))
    assert document.first_heading == "Field Guide"
    headings = [s.heading for s in document.sections]
    assert headings == ["Field Guide", "Otters", "Beavers"]
    assert "otter | clams" in document.sections[-1].text


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.docx", make_zip_bomb(unpacked_mb=50))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(DocumentTooLargeError, match="unpacks to 50 MB"):
        extract(path, admit("bomb.docx", None, None), limits=Limits(max_unpacked_bytes=10 * 2**20))


def test_docx_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="DOCX"):
        extract(write(tmp_path, "x.docx", b"plain text pretending"), admit("x.docx", None, None))


@pytest.mark.parametrize(
    ("encoded", "label"),
    [
        ("Кошка спит на тёплой печке весь день.".encode("cp1251"), "cp1251"),
        (codecs.BOM_UTF16_LE + "Grüße aus Köln, schöne Straße".encode("utf-16-le"), "utf-16"),
        ("Grüße aus Köln".encode(), "utf-8"),
        ("Съешь же ещё этих мягких французских булок".encode("koi8_r"), "koi8_r"),
        ("Café crème brûlée à la carte, très élégant".encode("latin-1"), "latin-1"),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoded: bytes, label: str) -> None:
    text = all_text(write(tmp_path, f"{label}.txt", encoded))
    for word in ("Кошка", "печке", "Köln", "Grüße", "crème", "élégant"):
        if word.encode("utf-8") in encoded.decode(label, errors="ignore").encode("utf-8"):
            assert word in text


def test_markdown_sections_follow_headings(tmp_path: Path) -> None:
    data = b"# Guide\nintro\n## Setup\nrun make\n```\n# not a heading\n```\n## Use\nask"
    document = extract(write(tmp_path, "g.md", data), admit("g.md", None, None))
    assert [s.heading for s in document.sections] == ["Guide", "Setup", "Use"]
    assert "# not a heading" in document.sections[1].text


def test_html_drops_scripts_and_splits_at_headings(tmp_path: Path) -> None:
    data = (
        b"<html><head><title>T</title><script>var x=1;</script></head><body>"
        b"<h1>Alpha</h1><p>one</p><h2>Beta</h2><p>two <b>bold</b></p>"
        b"<table><tr><td>a</td><td>b</td></tr></table></body></html>"
    )
    document = extract(write(tmp_path, "p.html", data), admit("p.html", None, None))
    assert document.title == "T"
    assert [s.heading for s in document.sections] == ["Alpha", "Beta"]
    assert "var x" not in "".join(s.text for s in document.sections)
    assert "a | b" in document.sections[1].text


def test_csv_rows_become_named_fields(tmp_path: Path) -> None:
    data = b"city,population\nOslo,700000\nBergen,285000\n"
    text = all_text(write(tmp_path, "c.csv", data))
    assert "city: Bergen; population: 285000" in text


def test_json_is_flattened_to_paths(tmp_path: Path) -> None:
    data = json.dumps({"server": {"port": 8080, "hosts": ["a", "b"]}}).encode()
    text = all_text(write(tmp_path, "c.json", data))
    assert "server.port: 8080" in text and "server.hosts[1]: b" in text


def test_empty_file_and_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(NoTextError, match="empty"):
        extract(write(tmp_path, "e.txt", b""), admit("e.txt", None, None))
    with pytest.raises(UnsupportedFormatError, match=r"can't read \.exe files; send PDF, DOCX"):
        detect_format("setup.exe")
    assert detect_format("noext", "application/pdf") == "pdf"


def test_binary_garbage_named_txt_is_refused(tmp_path: Path) -> None:
    with pytest.raises((UnreadableDocumentError, NoTextError)):
        extract(write(tmp_path, "b.txt", bytes(range(256)) * 20), admit("b.txt", None, None))


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


SCANNED_PAGE = "Harbour rules\n\nThe lighthouse keeper\nfeeds the gulls at dawn."


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
