# deskbridge — the two commands a newcomer needs are `make demo` and `make test`.
# Each creates .venv on first use and installs what it needs (pinned by constraints.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: demo test lint typecheck unit bench sandbox clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "deskbridge needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install -c constraints.txt -e '.[dev]'
	@touch $@

demo: $(VENV)/.runtime
	$(BIN)/deskbridge demo

test: lint typecheck unit

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/pytest

bench: $(VENV)/.dev
	$(BIN)/python -m bench.sandbox_scale
	$(BIN)/python -m bench.connectors
	$(BIN)/python -m bench.zendesk_object_model
	$(BIN)/python -m bench.conditions --times epoch
	$(BIN)/python -m bench.mappings
	$(BIN)/python -m bench.sync

sandbox: $(VENV)/.runtime
	$(BIN)/deskbridge sandbox serve --port 8765

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
