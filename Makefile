# The two commands of the README: `make run` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_WORKERS ?= 2
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run report test lint system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

## run: the service on SQLite (var/gtready.db) with the demo program, at http://$(HOST):$(PORT) (make run PORT=8080)
run: $(STAMP)
	$(BIN)/gtready db upgrade
	$(BIN)/gtready demo
	$(BIN)/gtready serve --host $(HOST) --port $(PORT)

## report: a sample PDF readiness report of the demo program, written to out/ (git-ignored)
report: $(STAMP)
	$(BIN)/gtready db upgrade
	$(BIN)/gtready report "$$($(BIN)/gtready demo | sed -n 's/^demo program .*(\(.*\))$$/\1/p')" --out out/demo-report.pdf

## test: lint, type-check and the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)
test: $(STAMP) lint system-packages
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

system-packages:
	@scripts/ensure-system-packages

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var out .mypy_cache .ruff_cache
