"""DOCX: headings and tables kept; a file that is not a zip fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.extract.files import write
from tests.support.documents import make_docx
from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract import admit, extract


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


def test_docx_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="DOCX"):
        extract(write(tmp_path, "x.docx", b"plain text pretending"), admit("x.docx", None, None))
