# Pelaku Para Dewi. Two commands on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LITESTAR := $(BIN)/litestar --app app.main:app
HOST ?= 127.0.0.1
PORT ?= 8000

# Pango and HarfBuzz's subsetter for WeasyPrint (letters), fonts for the letters and for Chromium.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core
# Chromium for browser tests; poppler-utils (pdftotext, pdftoppm, pdfinfo, pdffonts) to read letters in tests.
TEST_SYSTEM_PACKAGES := chromium poppler-utils
BENCH_SYSTEM_PACKAGES := wrk

.PHONY: help install install-test system-packages test-system-packages run migrate seed-demo test bench lint format clean

help:
	@echo "make run      set up, migrate, seed demo data when empty, serve on http://$(HOST):$(PORT)"
	@echo "make test     set up with test tools (Chromium) and run every test"
	@echo "make install  set up only (idempotent)"
	@echo "make bench    run the benchmarks under tests/benchmarks"
	@echo "make lint     ruff check and format check"

# Installs missing Debian packages when root; otherwise says exactly what to install.
define ensure_debs
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "Not a Debian system: make sure these are installed: $(1)" >&2; \
	else \
	  missing=""; \
	  for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "Installing system packages:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    else \
	      echo "Missing system packages:$$missing" >&2; \
	      echo "Install them with: sudo apt-get install$$missing" >&2; exit 1; \
	    fi; \
	  fi; \
	fi
endef

system-packages:
	$(call ensure_debs,$(SYSTEM_PACKAGES))

test-system-packages:
	$(call ensure_debs,$(TEST_SYSTEM_PACKAGES))

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: system-packages $(VENV)/.installed

install-test: install test-system-packages $(VENV)/.installed-dev

migrate: install
	$(LITESTAR) portal migrate

seed-demo: migrate
	$(LITESTAR) portal seed --demo --if-empty

# The background worker (batch letter bundles) runs beside the server and stops with it.
run: seed-demo
	@$(LITESTAR) portal worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(LITESTAR) run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/pytest

bench: install-test
	$(call ensure_debs,$(BENCH_SYSTEM_PACKAGES))
	$(BIN)/pytest tests/benchmarks -s -p no:cacheprovider --override-ini addopts=""

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
