# make train: set up .venv and run the default experiment.  make test: set up with dev tools, run lint and tests.
# make bench: the benchmarks of benchmarks/.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: setup setup-dev train test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

train: setup
	$(BIN)/python train.py $(ARGS)

lint: setup-dev
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pre-commit run --all-files

test: lint
	$(BIN)/python -m pytest

# Measured numbers go to benchmarks/RESULTS.md (by hand, with machine, date and command).
bench: setup-dev
	$(BIN)/python benchmarks/train_throughput.py --switches
	$(BIN)/python benchmarks/fid_eval.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/profile_loop.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
