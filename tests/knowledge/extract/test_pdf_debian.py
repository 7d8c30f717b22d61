"""A real PDF from outside the project: the Shared MIME-info specification that Debian's
shared-mime-info package ships (17 pages, with an outline, numbered headings and a running
header). Skipped where the package is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgtrainer.knowledge.chunking import chunk_sections
from tgtrainer.knowledge.extract import admit, extract

SPEC = Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="shared-mime-info is not installed")


def test_a_real_manuals_passages_follow_its_outline() -> None:
    import pypdf

    from tgtrainer.knowledge.extract.pdf_headings import outline_headings

    titles = {heading.title for heading in outline_headings(pypdf.PdfReader(SPEC))}
    assert len(titles) > 20
    chunks = chunk_sections(extract(SPEC, admit(SPEC.name, None, None)).sections)
    for chunk in chunks:  # a heading opens its passage (under the page's running header at most)
        lines = chunk.text.split("\n")
        inner = lines[2:] if lines[0] == "Shared MIME-info Database" else lines[1:]
        assert not titles & {line.strip() for line in inner}, chunk.text
    [magic] = [c for c in chunks if "2.5. The magic files\nThe magic data" in c.text]
    assert magic.section_path == ("2. Unified system", "2.5. The magic files")
    assert magic.page == 8
