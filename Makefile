# The exact commands CI, pre-commit and humans run. `make run` and `make test` work from a fresh clone.
# The venv's Python: a CPython 3.12 when there is one (on PATH, or installed by pyenv but not selected), else
# python3 (3.11 and later work). On 3.12 `make test` measures coverage with sys.monitoring, which costs the suite a
# fraction of what 3.11's tracer does (docs/development/testing.md).
PYTHON ?= $(shell for p in python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12) python3; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   ?= .venv
BIN    := $(VENV)/bin
CX     := $(BIN)/cxloop
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check fmt migrate migration bench fuzz demo clean chromium vendor node-clients

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

## run: install, create or migrate the embedded database, load the demo when empty, print an admin key (replacing
## the one the previous `make run` printed) and the web app's address with a fresh password for its first admin,
## serve with the worker beside it
run: $(VENV)/.installed
	$(CX) init
	$(CX) demo --if-empty
	$(CX) api-key create --name "make run" --role admin --replace
	$(CX) users first-admin --url http://$(HOST):$(PORT)/
	$(CX) serve --host $(HOST) --port $(PORT) --with-worker

# The browser tests drive Debian's Chromium (Playwright's own browser download is not reachable): install the
# package when it is missing (needs root, as in CI). Checked on every run: it costs nothing when installed.
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# Segment's official Node client, which the tests drive against a running server (pinned in its package-lock.json).
node-clients:
	@test -d tests/customers/segment_node/node_modules || npm ci --prefix tests/customers/segment_node --no-audit --no-fund

## test: lint, types and import boundaries, then the whole suite on SQLite and PostgreSQL, with the coverage floor,
## spread over TEST_WORKERS processes (default: one per core; TEST_WORKERS=0 runs it in one process)
TEST_WORKERS ?= auto
## The suite starts hundreds of Python processes (xdist workers, `cxloop serve` and `cxloop worker`): let them cache
## their bytecode even where the environment says not to (PYTHONDONTWRITEBYTECODE), or each compiles ~500 modules.
test: $(VENV)/.installed-dev chromium node-clients check
	PYTHONDONTWRITEBYTECODE= COVERAGE_CORE=$$($(BIN)/python -c 'import sys; print("sysmon" if sys.version_info >= (3, 12) else "ctrace")') \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term $(PYTEST_ARGS)

check: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

migrate: $(VENV)/.installed
	$(CX) init

## migration: autogenerate a migration from model changes, e.g. make migration m="add consent ledger"
migration: $(VENV)/.installed-dev
	$(BIN)/python -m tools.new_migration "$(m)"

## vendor: download the browser assets pinned in tools/vendored.toml from the npm registry and record their checksums
vendor:
	$(PYTHON) -m tools.vendor

## bench: the speed benchmarks (docs/benchmarks.md records their figures)
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## fuzz: the long schemathesis run against a real server, every check and phase (docs/development/testing.md);
## e.g. make fuzz FUZZ_ARGS="--max-time 3600"
fuzz: $(VENV)/.installed-dev
	$(BIN)/python -m tools.fuzz $(FUZZ_ARGS)

demo: $(VENV)/.installed
	$(CX) init
	$(CX) demo

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
