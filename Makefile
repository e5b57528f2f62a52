# make train: set up .venv and run the default experiment.  make test: set up with dev tools, run lint and tests.
# make bench: the benchmarks of benchmarks/.  make gpu-check: the GPU check (benchmarks/gpu_check.sh).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: setup setup-dev train test lint bench gpu-check clean

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

# One test worker per core (pytest-xdist); TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# Measured numbers go to benchmarks/RESULTS.md (by hand, with machine, date and command).
# Iteration counts suit a CPU (a DCGAN-64 iteration takes seconds there, bf16 ~20x longer);
# on a GPU raise them.
TT := $(BIN)/python benchmarks/train_throughput.py
bench: setup-dev
	$(TT) --configs mlp_ring --iterations 200 --warmup 20 --switches \
		--out benchmarks/train_throughput_mlp_ring.json
	$(TT) --paired --configs mlp_ring --out benchmarks/train_throughput_mlp_ring_paired.json
	$(TT) --configs dcgan32x1,dcgan64x3 --iterations 12 --warmup 3 \
		--out benchmarks/train_throughput_dcgan.json
	$(TT) --configs dcgan32x1,dcgan64x3 --iterations 12 --warmup 3 \
		--only "litgan compile,litgan channels_last" --out benchmarks/train_throughput_dcgan_switches.json
	$(TT) --configs dcgan32x1 --iterations 4 --warmup 1 --repeats 3 \
		--only "litgan bf16-mixed" --out benchmarks/train_throughput_dcgan_bf16.json
	$(BIN)/python benchmarks/fid_eval.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/profile_loop.py
	PYTHON=$(BIN)/python benchmarks/picture_cost.sh outputs/picture_cost

# On a CUDA machine, at most 8 minutes: tests, training rates with each speed switch, a
# 10,000-sample FID; gpu_check.json and gpu_check.md in GPU_CHECK_OUT. GPU_CHECK_ARGS=--cpu runs
# it on a CPU with tiny counts, a check of the script.
GPU_CHECK_OUT ?= outputs/gpu_check
GPU_CHECK_ARGS ?=
gpu-check: setup-dev
	PYTHON=$(BIN)/python benchmarks/gpu_check.sh $(GPU_CHECK_OUT) $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
