# The two commands of the README: `make run` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.PHONY: run test lint system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

## run: the service on SQLite (var/gtready.db) with the demo program, at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/gtready db upgrade
	$(BIN)/gtready demo
	$(BIN)/gtready serve

## test: lint, type-check and the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)
test: $(STAMP) lint system-packages
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

system-packages:
	@scripts/ensure-system-packages

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
