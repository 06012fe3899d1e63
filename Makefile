# Two commands do all the set-up (see README.md):
#   make pipeline   install into .venv, then run the pipeline on this machine's own code
#   make test       the whole test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUTPUT ?= outputs/curated
PACKAGES := packages/data packages/model packages/pii packages/attribution packages/eval

.PHONY: install pipeline curate test lint benchmarks clean

install: $(STAMP)

$(STAMP): requirements.txt $(wildcard packages/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps $(foreach p,$(PACKAGES),-e $(p))
	$(BIN)/python -m starcoder_data.benchmark_data --cache data_cache/benchmarks
	touch $(STAMP)

pipeline: curate

curate: install
	$(BIN)/python ray_jobs/curate.py --output $(OUTPUT)

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

benchmarks: install
	$(BIN)/python benchmarks/near_dedup.py
	$(BIN)/python benchmarks/license_accuracy.py
	$(BIN)/python benchmarks/curation_job.py

clean:
	rm -rf outputs .pytest_cache
