# HER2 CR study report. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.8

CUT  ?= 2025-12-31
SEED ?= 20251231
# Where a cut comes from, one of:
#   default                                  the synthetic study as an EDC export (REDCap records and
#                                            dictionary, Signatera's file, mapping.yml), generated
#                                            reproducibly into data/raw/synthetic-CUT-export when absent
#   make report EXPORT=DIR MAPPING=FILE CUT=  a real EDC export folder and its mapping
#   make report RAW=data/raw/<CUT> CUT=       a cut already in the contract's two CSVs
# An export is taken in by `her2cr intake` into data/interim/<name> (rebuilt by every run; the
# synthetic one into data/interim/synthetic-CUT), which the pipeline then reads as RAW.
ifeq ($(origin RAW),undefined)
  ifeq ($(origin EXPORT),undefined)
    EXPORT  := data/raw/synthetic-$(CUT)-export
    MAPPING ?= $(EXPORT)/mapping.yml
    INTAKE  ?= data/interim/synthetic-$(CUT)
  endif
  INTAKE ?= data/interim/$(notdir $(EXPORT))
  RAW    := $(INTAKE)
else
  EXPORT :=
endif
OUT  ?= reports/$(notdir $(RAW))
JOBS ?= 2
NB   ?=
P    ?=

STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed
LAB_ARGS ?=

# Quarto makes the publication HTML and PDF. QUARTO=/path/to/quarto chooses one; otherwise the
# quarto on PATH, otherwise the pinned PyPI package quarto-cli installed into .venv on first use
# (it downloads Quarto's official release, so it needs the internet). Without any, the run writes
# the HTML preview only.
QUARTO ?=
QUARTO_CLI_VERSION := 1.10.19
QUARTO_NONE := $(VENV)/.quarto-cli-unavailable

.PHONY: help venv lock lab quarto quarto-auto intake report qc test test-fast verify diff notebook bench synth validate clean distclean

# `make help` lists the targets under the guide page that explains them (docs/<page>.md, whose
# title it prints); a target with a description but no page here is listed last, as not yet in the
# guide. tests/test_docs.py checks that each page names each of its targets.
HELP_PAGES := running-a-cut:help,report,validate,verify,diff,synth,quarto,clean,distclean qc:qc \
              intake:intake subanalyses:lab,notebook performance:bench development:venv,lock,test,test-fast

help: ## list the targets, under the guide page that explains them
	@awk -F':.*## ' -v pages='$(HELP_PAGES)' ' \
	  /^[a-z-]+:.*## / { desc[$$1] = $$2; order[++n] = $$1 } \
	  END { \
	    np = split(pages, P, " "); \
	    for (i = 1; i <= np; i++) { \
	      split(P[i], kv, ":"); file = "docs/" kv[1] ".md"; title = ""; \
	      if ((getline title < file) > 0) sub(/^# */, "", title); close(file); \
	      printf "%s%s (%s)\n", (i > 1 ? "\n" : ""), title, file; \
	      nt = split(kv[2], T, ","); \
	      for (j = 1; j <= nt; j++) { printf "  make %-10s %s\n", T[j], desc[T[j]]; seen[T[j]] = 1 } \
	    } \
	    for (k = 1; k <= n; k++) if (!(order[k] in seen)) rest = rest sprintf("  make %-10s %s\n", order[k], desc[order[k]]); \
	    if (rest != "") printf "\nNot yet in the guide\n%s", rest; \
	  }' $(MAKEFILE_LIST)

# --compile-bytecode: uv, unlike pip, leaves the libraries uncompiled; where PYTHONDONTWRITEBYTECODE
# is set (as on the development and CI machines) every process, kernels included, would then
# compile pandas, scipy and matplotlib from source at each import (about 1.5 s each). The project's
# own package (an editable install) is compiled too: `her2cr intake` of 50 participants took 1.0 s
# without it and 0.85 s with it; a module changed since is compiled in memory, as before.
# Once `make lab` has installed JupyterLab, the venv is synced to requirements-lab.lock (the same
# pins plus the `lab` extra) by every target, so that `make venv` or `make report` never removes
# it; the stamp says which lock it synced.
VENV_LOCK = $(if $(wildcard $(LAB_STAMP)),requirements-lab.lock,requirements.lock)

$(STAMP): requirements.lock pyproject.toml $(if $(wildcard $(LAB_STAMP)),requirements-lab.lock)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python $(VENV_LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q her2cr
	$(BIN)/python -m ipykernel install --sys-prefix --name her2cr --display-name "Python (her2cr)" >/dev/null
	@echo $(VENV_LOCK) > $@
	@if [ -e $(LAB_STAMP) ]; then touch $(LAB_STAMP); fi

venv: $(STAMP) ## create .venv with the locked dependencies, the package and its Jupyter kernel

quarto: $(STAMP) ## install Quarto into .venv (PyPI quarto-cli) unless one is found; tries again after a failure
	@rm -f $(QUARTO_NONE)
	@$(MAKE) --no-print-directory quarto-auto

quarto-auto: $(STAMP)
	@if [ -n "$(QUARTO)" ]; then \
	  test -x "$(QUARTO)" || echo "quarto: QUARTO=$(QUARTO) is not an executable file: the report will be the HTML preview only"; \
	elif command -v quarto >/dev/null 2>&1 || [ -x $(BIN)/quarto ]; then :; \
	elif [ -e $(QUARTO_NONE) ]; then \
	  echo "quarto: not installed (quarto-cli could not be installed earlier; 'make quarto' tries again): HTML preview only"; \
	elif $(BIN)/uv pip install --quiet --python $(BIN)/python quarto-cli==$(QUARTO_CLI_VERSION) >/dev/null 2>&1 && [ -x $(BIN)/quarto ]; then \
	  echo "quarto: installed quarto-cli $(QUARTO_CLI_VERSION) into $(VENV)"; \
	else \
	  touch $(QUARTO_NONE); \
	  echo "quarto: not on PATH and quarto-cli $(QUARTO_CLI_VERSION) could not be installed (offline?): going on with the HTML preview only"; \
	fi

lock: ## regenerate requirements.lock and requirements-lab.lock from pyproject.toml (needs network)
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --universal --generate-hashes --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lab -c requirements.lock --python-version 3.11 --universal --generate-hashes --quiet -o requirements-lab.lock

# JupyterLab is not in requirements.lock (make report, make test and CI do not need it): the first
# `make lab` syncs .venv to requirements-lab.lock, the same pins plus the `lab` extra, and from then
# on the venv keeps it (VENV_LOCK above).
$(LAB_STAMP): $(STAMP) requirements-lab.lock
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-lab.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@echo requirements-lab.lock > $(STAMP)
	@touch $@

lab: $(LAB_STAMP) ## open JupyterLab in the project, kernel "Python (her2cr)" (installed into .venv on first use; LAB_ARGS=--no-browser ...)
	$(BIN)/jupyter lab --notebook-dir="$(CURDIR)" --MultiKernelManager.default_kernel_name=her2cr $(LAB_ARGS)

data/raw/synthetic-%/subjects.csv: | $(STAMP)
	$(BIN)/her2cr synth --out $(dir $@) --seed $(SEED) --cut $*

data/raw/synthetic-%-export/mapping.yml: | $(STAMP)
	$(BIN)/her2cr synth --export $(dir $@) --seed $(SEED) --cut $*

# What RAW needs before the pipeline reads it: the intake of EXPORT (after generating the synthetic
# export when absent), or a synthetic contract cut generated when absent, or nothing.
ifneq ($(EXPORT),)
RAW_READY := intake
else
RAW_READY := $(if $(findstring synthetic-,$(RAW)),$(RAW)/subjects.csv)
endif

intake: $(STAMP) $(if $(findstring synthetic-,$(EXPORT)),$(EXPORT)/mapping.yml) ## take the export EXPORT in with MAPPING into data/interim (default: the synthetic export)
	@test -n "$(EXPORT)" || { echo "make intake: give EXPORT=DIR MAPPING=FILE (RAW= is a cut already in the contract's CSVs)"; exit 2; }
	@test -n "$(MAPPING)" || { echo "make intake: give MAPPING=FILE, the mapping of the export $(EXPORT) (her2cr intake --draft-mapping --export $(EXPORT) writes a first one)"; exit 2; }
	$(BIN)/her2cr intake --export $(EXPORT) --mapping $(MAPPING) --cut $(CUT) --out $(INTAKE)

synth: $(STAMP) ## write the synthetic study for CUT (SEED=...): the cut into data/raw/synthetic-CUT, the EDC export into data/raw/synthetic-CUT-export
	$(BIN)/her2cr synth --out data/raw/synthetic-$(CUT) --export data/raw/synthetic-$(CUT)-export --seed $(SEED) --cut $(CUT)

validate: $(STAMP) $(RAW_READY) ## check the raw cut RAW against the data contract
	$(BIN)/her2cr validate --raw $(RAW) --cut $(CUT)

report: $(STAMP) quarto-auto $(RAW_READY) ## run the intake, the pipeline and the report for CUT (EXPORT= MAPPING=, or RAW=; OUT=, QUARTO= to override)
	QUARTO="$(QUARTO)" $(BIN)/her2cr run --raw $(RAW) --cut $(CUT) --out $(OUT) --jobs $(JOBS)

notebook: $(STAMP) $(RAW_READY) ## run one notebook NB=... and what it needs, into OUT/scratch (P="analysis_set=primary ...")
	@test -n "$(NB)" || { echo "usage: make notebook NB=90_topic [CUT=...] [P='analysis_set=primary']"; exit 2; }
	$(BIN)/her2cr run --raw $(RAW) --cut $(CUT) --out $(OUT) --jobs $(JOBS) --only $(NB) $(foreach p,$(P),-p $(subst =, ,$(p)))

qc: $(STAMP) ## independent QC in R of the cut's current version (OUT=...; the default cut of make report)
	$(BIN)/her2cr qc --out $(OUT)

verify: $(STAMP) ## re-run the cut in a scratch folder and compare with its manifest
	QUARTO="$(QUARTO)" $(BIN)/her2cr verify --out $(OUT)

diff: $(STAMP) ## what changed between two cuts: make diff FROM=reports/a TO=reports/b
	$(BIN)/her2cr diff --from $(FROM) --to $(TO)

test: $(STAMP) ## run the whole test suite (about 8 minutes on 2 CPUs)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the tests that start no Jupyter kernel
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP) ## time the pipeline against plain papermill and the in-process floor
	QUARTO="$(QUARTO)" $(BIN)/python -m her2cr.runner.bench

clean: ## remove the reports of every cut (raw data are kept)
	rm -rf reports build/failed

distclean: clean ## also remove the virtual environment, generated synthetic data and intake outputs
	rm -rf $(VENV) data/raw/synthetic-* data/interim
