# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.synced
DAY ?= 2016-12-01
PYTEST_ARGS ?=

.PHONY: install services run airflow test test-fast lint format eval quality bench clean help

help:
	@echo "make run      one nightly run, offline, on local S3 (moto) and the bundled sample site; shows what landed"
	@echo "make airflow  the same local parts plus Airflow's UI and scheduler on http://127.0.0.1:8080"
	@echo "make test     install and run the whole test suite"
	@echo "make lint     ruff (lint + format check) and mypy"
	@echo "make eval     score extraction and cleaning on ../shared"
	@echo "make quality  the accuracy figures the CI gate holds, with their sets and floors (seconds)"
	@echo "make bench    speed and memory figures on this machine (about 5 minutes);"
	@echo "             make bench BENCH_ARGS=--night-10k adds a 10,000-page night (about 10 minutes more)"

# uv (pinned) lives in its own small venv; the dev venv is synced exactly from uv.lock.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --extra dev --python $(PYTHON) --quiet
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/local_stack.py run --day $(DAY)

airflow: $(STAMP)
	$(BIN)/python scripts/local_stack.py airflow

# PostgreSQL and Redis (Debian's packages) for the CeleryExecutor end-to-end test; installed once, never
# started as services (the test runs its own instances on free ports of 127.0.0.1).
services:
	bash scripts/ci_services.sh

test: $(STAMP) services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not e2e" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check include dags plugins tests scripts
	$(BIN)/ruff format --check include dags plugins tests scripts
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict --site-dir .local/site

format: $(STAMP)
	$(BIN)/ruff check --fix include dags plugins tests scripts
	$(BIN)/ruff format include dags plugins tests scripts

eval: $(STAMP)
	$(PYTHON) ../shared/tools/score_extraction.py ../shared/devset
	$(PYTHON) ../shared/tools/score_cleaning.py body ../shared/benchmarks/article-body
	$(PYTHON) ../shared/tools/score_cleaning.py date ../shared/benchmarks/publication-date

# The figures of tests/quality (the CI gate) in one table; docs/accuracy.md shows them (--write-docs).
quality: $(STAMP)
	$(BIN)/python scripts/quality.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
