# Two commands: `make demo` (set up + run the whole loop on the embedded default)
# and `make test` (set up + every test). Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export REVLOOP_EXTRACTS ?= data/extracts
export REVLOOP_WAREHOUSE ?= warehouse/revloop.duckdb

.PHONY: demo test install lint dagster clean bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/dbt parse --quiet --project-dir dbt_project --profiles-dir dbt_project
	touch $@

install: $(BIN)/.installed

## make demo: generate the small sample, load it, build dbt, run the gates, sync into the local CRM sandbox
demo: install
	$(BIN)/revloop generate --scale small --out $(REVLOOP_EXTRACTS)
	$(BIN)/revloop run

## make test: lint, import contracts and the whole pytest suite (unit + end-to-end)
test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## make dagster: the Dagster UI on the same assets (http://127.0.0.1:3000)
dagster: install
	DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/.dagster_home} ; mkdir -p $$DAGSTER_HOME ; \
	cp -n orchestration/dagster.yaml $$DAGSTER_HOME/dagster.yaml ; \
	DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev -m orchestration.definitions

## make bench: the figures of BENCHMARKS.md (SCALE=small|medium|large; large needs ~20 GB)
SCALE ?= medium
bench: install
	$(BIN)/python scripts/bench_load.py --scale $(SCALE)
	$(BIN)/python scripts/measure_identity.py --scale $(SCALE)
	$(BIN)/python scripts/bench_reverse_etl.py

clean:
	rm -rf data warehouse dbt_project/target .dagster_home
