"""EPUB: the chapters in reading order (the OPF spine), each read as HTML."""

from __future__ import annotations

import warnings
from pathlib import Path, PurePosixPath

from tgtrainer.knowledge.errors import UnreadableDocumentError
from tgtrainer.knowledge.extract.limits import Limits, Progress
from tgtrainer.knowledge.extract.markup import html_sections
from tgtrainer.knowledge.extract.zip_guard import open_zip
from tgtrainer.knowledge.types import ExtractedDocument, Section


def read_epub(path: Path, limits: Limits, progress: Progress) -> ExtractedDocument:
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)  # lenient on purpose

    damaged = UnreadableDocumentError("This file is not a readable EPUB book; it may be damaged.")
    with open_zip(path, limits, "EPUB book") as archive:
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
