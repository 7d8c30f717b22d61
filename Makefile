# The two commands of the README: `make run` (later `make sandbox`) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench bench-voice clean

$(STAMP): pyproject.toml
	@# voice: espeak-ng speaks the languages the bundled Piper voice does not (optional)
	-command -v espeak-ng >/dev/null || (apt-get update -qq && apt-get install -y -qq espeak-ng)
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[local,dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/tgtrainer run

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench.chat

bench-voice: install
	$(BIN)/python -m bench.voice

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
