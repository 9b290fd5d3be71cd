# OPEX Manager: `make run` sets everything up and serves the app; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUN := $(CURDIR)/.tools/node_modules/bun/bin/bun.exe

export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_DIR := $(CURDIR)/.reflex
export BUN_INSTALL_CACHE_DIR := $(CURDIR)/.bun-cache
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-deploy lint typecheck unit e2e bench setup clean stop-db

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(BUN):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error bun@1.4.4

setup: $(VENV)/.installed $(BUN)

run: setup
	$(PY) -m opex_app.cli db upgrade
	$(PY) -m opex_app.cli demo-data
	$(PY) -m opex_app.cli bootstrap-admin
	@echo "OPEX Manager starting at http://localhost:$${OPEX_PORT:-3000} (first run: log in with the admin printed above)"
	$(VENV)/bin/reflex run --env prod

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy opex_app

test: setup lint typecheck
	$(VENV)/bin/pytest

# The deployment proven without Docker (tests/deploy/test_worker_failover.py, marker `deploy`): nginx with
# deploy/nginx.conf, the exported frontend, two backend-only workers, PostgreSQL, Redis, Chromium; a worker is
# killed under a signed-in tab. Debian's nginx is installed when missing (as root); without it the test fails in CI.
test-deploy: setup
	test -x /usr/sbin/nginx || command -v nginx >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } || \
		echo "could not install nginx (apt-get install -y nginx)"
	$(VENV)/bin/pytest -m deploy -s tests/deploy

bench: setup
	$(PY) tests/benchmarks/bench_import.py
	$(PY) tests/benchmarks/bench_import_long.py
	$(PY) tests/benchmarks/bench_import_csv.py
	$(PY) tests/benchmarks/bench_export.py
	$(PY) tests/benchmarks/bench_month_layout.py
	$(PY) tests/benchmarks/bench_import_actuals.py
	$(PY) tests/benchmarks/bench_figures.py
	$(PY) tests/benchmarks/bench_load.py

stop-db:
	$(PY) -m opex_app.cli db stop-embedded

clean:
	rm -rf .web .states $(VENV) .tools .reflex .bun-cache
