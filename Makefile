# The README's commands. Everything runs from a virtualenv in .venv that the targets create.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check-deploy worker beat bench bench-queue bench-cass clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

## make run: set up, migrate, load demo data and serve http://$(HOST):$(PORT) on the embedded defaults
## (PORT=8001 HOST=0.0.0.0 to change; the links in emails follow: SITE_URL, PORTAL_URL)
run: $(VENV)/.installed
	$(PY) manage.py migrate --no-input
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py seed_demo
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

## make test: set up and run the whole test suite
test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A backoffice worker --loglevel=INFO

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A backoffice beat --loglevel=INFO

# The benchmarks need a PostgreSQL server; each creates a database of its own there and drops it.
BENCH_SERVER ?= postgres://postgres@127.0.0.1:5432/postgres

## make bench: partner API create and login token against the bare views (BENCH_ARGS="--seconds 3")
bench: $(VENV)/.installed
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_SERVER)}" $(PY) bench/api_load.py $(BENCH_ARGS)

## make bench-queue: the support queue page at 1,000 and 1,000,000 users
bench-queue: $(VENV)/.installed
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_SERVER)}" $(PY) bench/support_queue.py $(BENCH_ARGS)

## make bench-cass: CASS import speed, 20,000 and 100,000 generated rows (DATABASE_URL=postgres://…)
bench-cass: $(VENV)/.installed
	$(PY) bench/cass_import.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-results
