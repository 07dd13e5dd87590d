# Two commands: `make demo` (set up + run the whole loop on the embedded default)
# and `make test` (set up + every test). Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo's files; the tests never read them (tests/conftest.py seals the environment).
EXTRACTS ?= data/extracts
WAREHOUSE ?= warehouse/revloop.duckdb
DEMO_ENV := REVLOOP_EXTRACTS=$(EXTRACTS) REVLOOP_WAREHOUSE=$(WAREHOUSE)

.PHONY: demo test install lint dagster clean bench bench-nightly bench-smoke browser dashboard

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/dbt parse --quiet --project-dir dbt_project --profiles-dir dbt_project
	touch $@

install: $(BIN)/.installed

## make demo: generate the small sample (a world ending yesterday), load it, build dbt, run the
## gates, sync into the local CRM sandbox. A second `make demo` the same day loads and sends nothing.
demo: install
	$(DEMO_ENV) $(BIN)/revloop generate --scale small --out $(EXTRACTS)
	$(DEMO_ENV) $(BIN)/revloop run
	@echo ""
	@echo "RevOps dashboard (reads the published snapshot $(dir $(WAREHOUSE))revloop_published.duckdb, read-only):"
	@echo "  start it with   make dashboard   (or: $(DEMO_ENV) $(BIN)/revloop dashboard --port $(DASHBOARD_PORT))"
	@echo "  then open       http://127.0.0.1:$(DASHBOARD_PORT)"

## make dashboard: the RevOps dashboard on the demo's published snapshot (http://127.0.0.1:8501)
DASHBOARD_PORT ?= 8501
dashboard: install
	$(DEMO_ENV) $(BIN)/revloop dashboard --port $(DASHBOARD_PORT)

## make test: lint, import contracts and the whole pytest suite (unit + end-to-end, and the
## dashboard in a real headless browser)
test: install lint browser
	$(BIN)/pytest

## make browser: Debian's chromium + chromedriver for the dashboard's browser test, installed
## with apt only when one is missing (idempotent; no browser download from anywhere else).
## When it cannot be installed the browser test fails and says why; the other tests still run.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  exit 0; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make browser: chromium/chromedriver missing and apt-get unavailable: the dashboard browser test will fail" >&2; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "make browser: apt-get install -y chromium chromium-driver"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
	  || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; } \
	  || echo "make browser: apt-get could not install chromium chromium-driver: the dashboard browser test will fail" >&2; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## make dagster: the Dagster UI on the same assets and on every `revloop run` recorded in the
## demo's instance (http://127.0.0.1:3000)
dagster: install
	DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/$(dir $(WAREHOUSE))dagster_home} ; mkdir -p $$DAGSTER_HOME ; \
	[ -f $$DAGSTER_HOME/dagster.yaml ] || cp dagster.yaml $$DAGSTER_HOME/dagster.yaml ; \
	$(DEMO_ENV) DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev

## make bench: the figures of BENCHMARKS.md (SCALE=small|medium|large; large needs ~20 GB)
SCALE ?= medium
bench: install
	$(BIN)/python scripts/bench_load.py --scale $(SCALE)
	$(BIN)/python scripts/measure_identity.py --scale $(SCALE)
	$(BIN)/python scripts/bench_reverse_etl.py
	$(BIN)/python scripts/bench_attribution.py --scale $(SCALE)

## make bench-smoke: the nightly harness end to end at small, checked for structure (5-15 min)
bench-smoke: install
	$(BIN)/pytest -m bench tests/bench

## make bench-nightly: a full `revloop run`, one new day, nothing new, per stage and model, into
## BENCHMARKS.md (SCALE=small|medium|large|small-3x, or SERIES=small-1x,small-3x,small-10x; under `nice`)
bench-nightly: install
	$(BIN)/python scripts/bench_nightly.py $(if $(SERIES),--series $(SERIES),--scale $(SCALE))

clean:
	rm -rf data warehouse dbt_project/target .dagster_home
