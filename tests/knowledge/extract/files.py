"""Writing a test file and reading it back through `extract`."""

from __future__ import annotations

from pathlib import Path

from tgtrainer.knowledge.extract import DEFAULT_LIMITS, Limits, Progress, admit, extract


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def all_text(
    path: Path,
    name: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> str:
    document = extract(path, admit(name or path.name, None, None), limits=limits, progress=progress)
    return "\n".join(section.text for section in document.sections)
