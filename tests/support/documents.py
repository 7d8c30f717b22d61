"""Real files made in the tests: PDF (fpdf2), scanned PDF (Pillow), DOCX (python-docx), zip
bombs, encrypted PDFs."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

import docx
from fpdf import FPDF


def make_pdf(
    pages: Sequence[str], *, title: str | None = None, password: str | None = None
) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


HEADING_SIZES = {1: 18, 2: 15, 3: 13}


def make_sectioned_pdf(
    blocks: Sequence[tuple[int, str, str]],
    *,
    outline: bool = True,
    running_header: str | None = None,
) -> bytes:
    """A PDF of (level, heading, text) blocks flowing over pages as a word processor sets them:
    headings bold and larger (18/15/13 pt for levels 1/2/3) over 11 pt body text, with the
    outline (bookmarks) when `outline`, and `running_header` in bold on top of every page."""

    class Document(FPDF):
        def header(self) -> None:
            if running_header:
                self.set_font("Helvetica", "B", 11)
                self.cell(0, 8, running_header, new_x="LMARGIN", new_y="NEXT")
                self.set_font("Helvetica", size=11)

    pdf = Document()
    pdf.add_page()
    for level, heading, text in blocks:
        if outline:
            pdf.start_section(heading, level=level - 1)
        pdf.set_font("Helvetica", "B", HEADING_SIZES[level])
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


def make_scanned_pdf(pages: Sequence[str]) -> bytes:
    """A PDF of page pictures and no text layer, as a scanner makes: A4 at 150 dpi, grey."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=34)
    images = []
    for text in pages:
        image = Image.new("L", (1240, 1754), 255)
        ImageDraw.Draw(image).multiline_text((110, 160), text, fill=0, font=font, spacing=14)
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def make_docx(
    title: str,
    sections: Sequence[tuple[str, str]],
    table: Sequence[Sequence[str]] = (),
) -> bytes:
    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, text in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_zip_bomb(member: str = "word/document.xml", unpacked_mb: int = 200) -> bytes:
    """A small file that unpacks to `unpacked_mb` MB of zeros, shaped like a DOCX."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w", force_zip64=True) as stream:
            block = b"\0" * (1 << 20)
            for _ in range(unpacked_mb):
                stream.write(block)
    return buffer.getvalue()


def make_lying_zip(
    member: str = "word/document.xml",
    *,
    unpacked_mb: int = 1100,
    declared_bytes: int = 60_000,
    around: bytes | None = None,
) -> bytes:
    """A zip whose headers lie: `member` claims `declared_bytes` but inflates to `unpacked_mb`
    MB of spaces (the shape of the 1.1 MB DOCX that took the bot to 2.3 GB). The other members
    are copied from the zip `around` (a real DOCX, say), else one small content list."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    compressed = b"".join(deflater.compress(block) for _ in range(unpacked_mb)) + deflater.flush()
    others = [("[Content_Types].xml", b"<Types/>")]
    if around is not None:
        with zipfile.ZipFile(io.BytesIO(around)) as model:
            others = [(n, model.read(n)) for n in model.namelist() if n != member]
    members = [(name, data, False) for name, data in others] + [(member, compressed, True)]
    body, directory = io.BytesIO(), io.BytesIO()
    for name, data, lying in members:
        offset = body.tell()
        method = zipfile.ZIP_DEFLATED if lying else zipfile.ZIP_STORED
        size = declared_bytes if lying else len(data)
        crc = 0 if lying else zlib.crc32(data)
        encoded = name.encode()
        body.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
            )
            + encoded
            + data
        )
        directory.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = body.tell()
    listing = directory.getvalue()
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(listing), start, 0
    )
    return body.getvalue() + listing + end
