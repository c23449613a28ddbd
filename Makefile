# `make run`: install everything, then run the demo DAG; `make test`: install, then test.
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
PROFILE := --workflow-profile workflow/profiles/default
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test setup system-deps lint clean reports long

# `make reports`: the reports' experiments on real MAESTRO performances
# (config/experiments/reports.yaml) in runs/reports. By default the download
# stage fetches the official MAESTRO v3.0.0 MIDI archive (maestro.url) and checks
# it against maestro.sha256. MAESTRO=<zip, or folder holding maestro-v3.0.0/>
# reads that local copy instead (maestro.path; reports-local.yaml: not checked
# against the official digest unless MAESTRO_SHA256 names one).
# REPORTS_CONFIG adds overlays (reports-gpu.yaml).
REPORTS_CONFIG ?= $(CURDIR)/config/experiments/reports.yaml
# `make long`: long.yaml's models trained until they stop improving, in runs/long,
# tables and learning curves into docs/results.md's "long" section.
RUN ?= reports
SECTION ?= results
comma := ,
ifdef MAESTRO
REPORTS_SOURCE := $(CURDIR)/config/experiments/reports-local.yaml \
	--config 'maestro={"path": "$(abspath $(MAESTRO))"$(if $(MAESTRO_SHA256),$(comma) "sha256": "$(MAESTRO_SHA256)")}'
REPORTS_COMMAND := make $(RUN) MAESTRO=$(MAESTRO)
else
REPORTS_COMMAND := make $(RUN)
endif
REPORTS := snakemake $(PROFILE) --snakefile $(CURDIR)/Snakefile --directory runs/$(RUN) \
	--configfile $(REPORTS_CONFIG) $(REPORTS_SOURCE) --replace-workflow-config

run: setup
	snakemake $(PROFILE)
	@# The HTML report only when the scores changed since it was built.
	@[ results/report.html -nt results/scores/summary.csv ] || \
		snakemake $(PROFILE) --report results/report.html
	@echo "scores: results/scores/summary.csv, report: results/report.html"

test: setup
	pytest

reports: setup
	mkdir -p runs/$(RUN)
	$(REPORTS)
	$(REPORTS) --report results/report.html
	music-enhance results-table runs/$(RUN)/results/scores/summary.csv --readme docs/results.md \
		--section $(SECTION) --command "$(REPORTS_COMMAND)" --commit "$$(git rev-parse --short HEAD)" \
		$(if $(CURVES),--curves runs/$(RUN)/results/train/*/metrics.csv)

long:
	$(MAKE) reports RUN=long SECTION=long CURVES=1 \
		REPORTS_CONFIG="$(CURDIR)/config/experiments/reports.yaml $(CURDIR)/config/experiments/long.yaml"

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
