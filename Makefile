# renkei — two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: demo test lint format clean

# The virtual environment with the project installed (editable) and everything the tests need, and the word vectors
# of the matching engine's semantic component (chiVe, in GiNZA's model wheel), installed with --no-deps: we read its
# vector files with numpy and never import spaCy (docs/decisions/0014-matching-engine.md).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps 'ja-ginza==5.2.0'
	touch $@

.venv: $(VENV)/.installed

## make demo: set up, load the demo network (SQLite in ./var) and serve http://127.0.0.1:$(PORT)
demo: $(VENV)/.installed
	$(BIN)/renkei demo --port $(PORT)

## make test: set up and run the whole suite (SQLite; PostgreSQL and Chromium when present)
test: $(VENV)/.installed
	VENV=$(VENV) bash scripts/test.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(VENV)/.installed
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
