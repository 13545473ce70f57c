# Two commands do everything on a fresh machine with Python 3.11+:
#   make bulletin   set up .venv, then build the latest month's bulletin (demo data if data/raw is empty)
#   make test       set up .venv, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: bulletin test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

bulletin: $(STAMP)
	$(BIN)/credit-county bulletin --latest

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_sensitivity.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
