# `make run`: install everything, then run the demo DAG; `make test`: install, then test.
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
PROFILE := --workflow-profile workflow/profiles/default
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test setup system-deps lint clean

run: setup
	snakemake $(PROFILE)
	@# The HTML report only when the scores changed since it was built.
	@[ results/report.html -nt results/scores/summary.csv ] || \
		snakemake $(PROFILE) --report results/report.html
	@echo "scores: results/scores/summary.csv, report: results/report.html"

test: setup
	pytest

lint: setup
	ruff check .
	snakemake $(PROFILE) --lint

setup: system-deps $(STAMP)

system-deps:
	@scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf results .snakemake
