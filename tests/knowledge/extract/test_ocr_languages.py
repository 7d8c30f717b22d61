"""OCR in the languages of `OCR_LANGUAGES`: Cyrillic read with eng+rus, not with eng alone;
a configured language Tesseract has no data for is named, with its Debian package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tgtrainer.knowledge.errors import NoTextError
from tgtrainer.knowledge.extract import Limits, admit, extract
from tgtrainer.knowledge.extract.ocr import installed_languages

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core
RUSSIAN = "Ключ от сарая\nлежит под камнем"  # "The shed's key / lies under the stone"

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract-ocr")


def russian_photo(path: Path) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    if not DEJAVU.is_file():
        pytest.skip("needs a font with Cyrillic glyphs: Debian fonts-dejavu-core")
    image = Image.new("RGB", (1100, 300), "white")
    font = ImageFont.truetype(str(DEJAVU), 64)
    ImageDraw.Draw(image).multiline_text((40, 40), RUSSIAN, fill="black", font=font, spacing=30)
    image.save(path, "JPEG", quality=90)
    return path


def read(path: Path, languages: str) -> tuple[str, list[str]]:
    document = extract(path, admit(path.name, None, None), limits=Limits(ocr_languages=languages))
    return " ".join(section.text for section in document.sections), document.notes


def test_russian_text_is_read_with_eng_rus_and_not_with_eng_alone(tmp_path: Path) -> None:
    if "rus" not in installed_languages():
        pytest.skip("needs Tesseract's Russian data: Debian tesseract-ocr-rus (`make` installs it)")
    photo = russian_photo(tmp_path / "note.jpg")
    text, notes = read(photo, "eng+rus")
    assert "ключ от сарая" in text.lower() and "под камнем" in text.lower(), text
    assert notes == ["Read with OCR (eng+rus)."]
    english_only, notes = read(photo, "eng")
    assert "сарая" not in english_only.lower() and "камнем" not in english_only.lower()
    assert notes == ["Read with OCR (eng)."]


def test_a_language_without_data_is_named_with_its_package(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1000, 160), 255)
    font = ImageFont.load_default(size=52)
    ImageDraw.Draw(image).text((30, 50), "The heron gate code is 4452", fill=0, font=font)
    image.save(tmp_path / "gate.png")
    text, notes = read(tmp_path / "gate.png", "eng+zzz")
    assert "4452" in text
    assert notes[0] == "Read with OCR (eng)."
    assert "OCR_LANGUAGES asks for zzz" in notes[1] and "tesseract-ocr-zzz" in notes[1]
    with pytest.raises(NoTextError, match="OCR_LANGUAGES is zzz, and Tesseract on this server"):
        read(tmp_path / "gate.png", "zzz")
