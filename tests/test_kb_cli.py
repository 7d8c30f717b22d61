"""`tgtrainer kb`: add with progress, search (text and JSON), list, remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.documents import make_pdf
from tgtrainer.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("LLM_BACKEND", "EMBEDDINGS_BACKEND", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TGTRAINER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return CliRunner()


def test_add_search_list_remove(runner: CliRunner, tmp_path: Path) -> None:
    pdf = tmp_path / "moons.pdf"
    pdf.write_bytes(make_pdf(["Intro page.", "Phobos and Deimos are the two moons of Mars."]))
    notes = tmp_path / "notes.md"
    notes.write_text("# Kitchen\nThe kettle is descaled every Friday.\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"nope")

    added = runner.invoke(main, ["kb", "add", str(pdf), str(notes), str(broken)])
    assert added.exit_code == 1
    assert "moons.pdf: learned, 2 passage(s), 2 pages" in added.output
    assert "notes.md: learned, 1 passage(s)" in added.output
    assert "broken.pdf: This file is not a readable PDF" in added.output

    found = runner.invoke(main, ["kb", "search", "What are the moons of Mars?", "-k", "1"])
    assert found.exit_code == 0
    assert "[1] moons.pdf, p. 2" in found.output and "Phobos" in found.output

    as_json = runner.invoke(main, ["kb", "search", "kettle", "--json", "--scope", "global"])
    [hit, *_] = json.loads(as_json.output)
    assert (hit["document"], hit["section"]) == ("notes.md", "Kitchen")

    listed = runner.invoke(main, ["kb", "list"])
    assert "global\tmoons.pdf" in listed.output and "global\tnotes.md" in listed.output

    assert "removed moons.pdf" in runner.invoke(main, ["kb", "remove", "moons.pdf"]).output
    assert "moons.pdf" not in runner.invoke(main, ["kb", "list"]).output
    empty = runner.invoke(main, ["kb", "search", "Phobos", "--scope", "user:5"])
    assert empty.output.strip() == "Nothing found."


def test_bad_scope_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["kb", "list", "--scope", "everyone"])
    assert result.exit_code == 2 and "global, user:<id> or chat:<id>" in result.output


def test_a_failure_meant_for_the_user_ends_the_command_with_its_sentence(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The kettle is descaled every Friday.")
    assert runner.invoke(main, ["kb", "add", str(notes)]).exit_code == 0
    # The embedding model now is a server that is not there (a closed port on this machine).
    monkeypatch.setenv("EMBEDDINGS_BACKEND", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LLM_TIMEOUT", "2")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    failed = runner.invoke(main, ["kb", "search", "kettle"])
    assert failed.exit_code == 1
    assert failed.output.strip() == (
        "Error: The embedding model is not answering right now, try again in a minute."
    )
