# Darkroom's front door. `make run` and `make test` need only python3 (≥ 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench worker e2e check migrate models clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Darkroom needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	@touch $(STAMP)

## models: the local engine's model files into var/models (checked by SHA-256; cached)
models: $(STAMP)
	$(BIN)/darkroom models fetch

## run: install, fetch models, migrate and start web + worker on http://127.0.0.1:8000
run: models
	$(BIN)/darkroom migrate
	$(BIN)/darkroom manage collectstatic --noinput --verbosity 0
	$(BIN)/darkroom serve

## test: the whole suite on the embedded default (SQLite, Huey on SQLite, local files)
test: models
	$(BIN)/python -m pytest

## e2e: only the browser tests
e2e: models
	$(BIN)/python -m pytest -m e2e

## lint: ruff, formatting, types, migrations
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy darkroom
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django makemigrations --check --dry-run

## bench: the benchmarks under bench/ (figures go in bench/README.md)
bench: models
	$(BIN)/python bench/skeleton.py
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/retention.py
	$(BIN)/python bench/jobs.py

## worker: a queue consumer only (production: any number of machines)
worker: models
	$(BIN)/darkroom worker

check: $(STAMP)
	$(BIN)/darkroom check

migrate: $(STAMP)
	$(BIN)/darkroom migrate

clean:
	rm -rf $(VENV) *.egg-info
