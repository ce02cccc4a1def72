# Two commands for a fresh clone: `make run` serves, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
MODEL  := models/triage-default.skops

.PHONY: run test lint typecheck model bench clean help

help:
	@echo "make run    - install, prepare the database and model, serve on 127.0.0.1:8000"
	@echo "make test   - install test dependencies and run ruff, mypy and the whole suite"
	@echo "make model  - retrain the shipped default model deterministically"
	@echo "make bench  - run the benchmark suite and write docs/benchmarks.md"

$(BIN)/triage: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml $(BIN)/triage
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

$(MODEL):
	$(MAKE) model

run: $(BIN)/triage $(MODEL)
	$(BIN)/triage db upgrade
	$(BIN)/triage serve

model: $(VENV)/.test-deps
	$(BIN)/triage train --seed 20261126 --out $(MODEL)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check service training tests
	$(BIN)/ruff format --check service training tests
	$(BIN)/mypy

test: $(VENV)/.test-deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(VENV)/.test-deps
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
