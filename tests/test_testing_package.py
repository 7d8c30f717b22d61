"""tgtrainer.testing serves tests and benchmarks only: the product never imports it, and the
benchmarks never import tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tgtrainer
import tgtrainer.testing

PACKAGE = Path(tgtrainer.__file__).parent
TESTING = Path(tgtrainer.testing.__file__).parent
BENCH = PACKAGE.parents[1] / "bench"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _runtime_modules() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if TESTING not in path.parents]


@pytest.mark.parametrize("path", _runtime_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_runtime_code_never_imports_the_testing_package(path: Path) -> None:
    assert not any(
        name == "tgtrainer.testing" or name.startswith("tgtrainer.testing.")
        for name in _imported(path)
    )


def test_benchmarks_never_import_tests() -> None:
    modules = sorted(BENCH.glob("*.py"))
    assert modules
    for path in modules:
        assert not any(name.split(".")[0] == "tests" for name in _imported(path)), path.name


def test_the_package_lists_every_module() -> None:
    modules = {path.stem for path in TESTING.glob("*.py") if path.stem != "__init__"}
    assert set(tgtrainer.testing.__all__) == modules
