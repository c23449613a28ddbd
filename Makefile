# `make run`: install everything, then run the demo DAG; `make test`: install, then test.
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
PROFILE := --workflow-profile workflow/profiles/default
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test setup system-deps lint clean reports

# `make reports`: the reports' experiments on real MAESTRO performances
# (config/experiments/reports.yaml) in runs/reports; MAESTRO is the MIDI archive
# or a folder holding it. REPORTS_CONFIG adds overlays (reports-gpu.yaml).
MAESTRO ?= $(CURDIR)/../shared/data/maestro-asap/maestro-v3.0.0-midi.zip
REPORTS_CONFIG ?= $(CURDIR)/config/experiments/reports.yaml
REPORTS := snakemake $(PROFILE) --snakefile $(CURDIR)/Snakefile --directory runs/reports \
	--configfile $(REPORTS_CONFIG) --replace-workflow-config \
	--config 'maestro={"path": "$(abspath $(MAESTRO))"}'

run: setup
	snakemake $(PROFILE)
	@# The HTML report only when the scores changed since it was built.
	@[ results/report.html -nt results/scores/summary.csv ] || \
		snakemake $(PROFILE) --report results/report.html
	@echo "scores: results/scores/summary.csv, report: results/report.html"

test: setup
	pytest

reports: setup
	mkdir -p runs/reports
	$(REPORTS)
	$(REPORTS) --report results/report.html
	music-enhance results-table runs/reports/results/scores/summary.csv --readme docs/results.md \
		--command "make reports" --commit "$$(git rev-parse --short HEAD)"

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
	rm -rf results .snakemake runs
