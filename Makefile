# Foodhub: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
# pytest keeps the test modules it rewrites in __pycache__: where the environment turns
# bytecode writing off (PYTHONDONTWRITEBYTECODE), every worker would compile every module
# of the project and of the tests again on every run (seconds each).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest
PG_URL ?= postgres://foodhub:foodhub@127.0.0.1:5432/foodhub

.PHONY: help install system-deps system-deps-test run migrate demo test test-postgres bench lint format messages lock clean

help:
	@echo "make run            install everything, migrate, load demo data, start web + worker"
	@echo "make test           the whole test suite (browser tests included) on SQLite"
	@echo "make test-postgres  the same on PostgreSQL (installs and starts a local server if needed)"
	@echo "make bench          performance figures (BENCH lines)"
	@echo "make lint           ruff, formatting, migrations and system checks"

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is needed."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# Debian packages: Pango for WeasyPrint (PDF), fonts; Chromium for the browser tests.
system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh runtime

system-deps-test:
	@scripts/system-deps.sh test

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_data --if-empty
	$(PY) manage.py load_demo_pages

run: system-deps install demo
	@echo
	@echo "  Foodhub runs at http://localhost:$(PORT)/  (Ctrl-C to stop web + worker)"
	@echo "  Public pages are edited at http://localhost:$(PORT)/cms/"
	@echo
	FOODHUB_PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

test: system-deps system-deps-test install
	$(PYTEST) -n $(TEST_WORKERS)

test-postgres: system-deps system-deps-test install
	@scripts/postgres.sh
	DATABASE_URL=$(PG_URL) $(PYTEST) -n $(TEST_WORKERS)

# Each bench works on a scratch database; the checkout figure is PostgreSQL's.
bench: system-deps install
	@scripts/postgres.sh >&2
	@set -e; for script in tests/bench/bench_*.py; do \
		BENCH_POSTGRES_URL=$(PG_URL) $(PY) -m tests.bench.$$(basename $$script .py); \
	done

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the French/English catalogues after changing user-facing text, then compile them.
messages: install
	$(PY) manage.py makemessages -l fr -l en --no-location --ignore=.venv --ignore=tests --ignore=docs
	$(PY) manage.py compilemessages --ignore=.venv

lock: install
	$(PY) -m pip freeze --exclude-editable | { echo "# Exact versions for a reproducible install: pip install -c requirements.lock -e \".[dev]\""; echo "# Regenerate with \`make lock\` after changing pyproject.toml."; cat; } > requirements.lock

clean:
	rm -rf $(VENV) staticfiles
