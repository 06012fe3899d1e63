# Two commands do all the set-up (see README.md):
#   make pipeline   install into .venv, then the whole recipe on this machine's own code:
#                   curate, redact PII, tokenizer, tokens, pretrain, evaluate, index, and
#                   serve the model with its playground (ray_jobs/pipeline.py; Ctrl-C stops)
#   make test       the whole test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUTPUTS ?= outputs
VOCAB_SIZE ?= 8192
DEEPSPEED := $(shell grep -o '^deepspeed==[0-9.]*' requirements.txt)
PACKAGES := . packages/jobs packages/data packages/model packages/pii packages/attribution packages/eval \
	services/serve services/playground packages/pipeline

.PHONY: install pipeline curate tokenizer tokens pretrain pii evaluate index serve test lint \
	benchmarks clean

install: $(STAMP)

# Programs the tests drive, as command:Debian package: chromium (the playground's
# browser test), bubblewrap (the evaluation sandbox), g++ and javac (the C++ and
# Java evaluation tests). A package is installed when its command is missing and
# apt is usable.
SYSTEM_PACKAGES := chromium:chromium bwrap:bubblewrap g++:g++ javac:default-jdk-headless

$(STAMP): requirements.txt $(wildcard packages/*/pyproject.toml services/*/pyproject.toml)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
		command -v $${p%%:*} >/dev/null 2>&1 || echo $${p#*:}; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "please install: $$missing (e.g. sudo apt-get install $$missing)"; fi; \
	fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	# DeepSpeed compiles its CPU all-reduce op on first use in every worker (~2 min);
	# building it once here keeps training start-up at seconds.
	DS_BUILD_OPS=0 DS_BUILD_SHM_COMM=1 $(BIN)/python -m pip install --quiet --no-build-isolation \
		--no-cache-dir --force-reinstall --no-deps $(DEEPSPEED)
	$(BIN)/python -m pip install --quiet --no-deps $(foreach p,$(PACKAGES),-e $(p))
	$(BIN)/python -m starcoder_data.benchmark_data --cache data_cache/benchmarks
	$(BIN)/python -m starcoder_eval.benchmark_files --cache data_cache/benchmarks
	touch $(STAMP)

# The whole recipe; stages whose inputs did not change are skipped on a rerun.
# PIPELINE_ARGS passes options through, e.g. PIPELINE_ARGS="--no-serve".
pipeline: install
	$(BIN)/python ray_jobs/pipeline.py --output $(OUTPUTS) $(PIPELINE_ARGS)

# The stages one at a time (each reruns its job unconditionally).
curate: install
	$(BIN)/python ray_jobs/curate.py --output $(OUTPUTS)/curated

tokenizer: curate
	$(BIN)/python ray_jobs/train_tokenizer.py --data $(OUTPUTS)/curated/data \
		--output $(OUTPUTS)/tokenizer --vocab-size $(VOCAB_SIZE) --sample-mb 32

tokens: tokenizer
	$(BIN)/python ray_jobs/pack_tokens.py --data $(OUTPUTS)/curated/data \
		--tokenizer $(OUTPUTS)/tokenizer --output $(OUTPUTS)/tokens --overwrite

pretrain: tokens
	$(BIN)/python ray_jobs/pretrain.py --tokens $(OUTPUTS)/tokens \
		--tokenizer $(OUTPUTS)/tokenizer --output $(OUTPUTS)/pretrain

# PII: the labelled set, StarEncoder, its NER head (evaluated against the baseline on
# held-out repos), then the redacted copy of the data, all six classes, with the learned
# system (the rules' spans, secrets never dropped, plus the model's names): of the systems
# on the real-file test part, the fewest leaks at the best F1 (docs/pii.md). About an hour
# of redaction on 2 cores; without a model, redact_pii.py's default is the rules alone.
pii: tokenizer
	$(BIN)/python ray_jobs/build_pii_dataset.py --data $(OUTPUTS)/curated/data \
		--output $(OUTPUTS)/pii_dataset --sample-mb 30 --max-files 3000
	$(BIN)/python ray_jobs/train_starencoder.py --data $(OUTPUTS)/curated/data \
		--tokenizer $(OUTPUTS)/tokenizer --output $(OUTPUTS)/starencoder --preset tiny
	$(BIN)/python ray_jobs/train_pii_ner.py --dataset $(OUTPUTS)/pii_dataset \
		--encoder $(OUTPUTS)/starencoder/model --output $(OUTPUTS)/pii_ner
	$(BIN)/python ray_jobs/redact_pii.py --data $(OUTPUTS)/curated/data \
		--output $(OUTPUTS)/redacted --model $(OUTPUTS)/pii_ner/model --overwrite

evaluate: install
	$(BIN)/python ray_jobs/evaluate.py --reference canonical --allow-code-execution \
		--output $(OUTPUTS)/eval-canonical
	$(BIN)/python ray_jobs/evaluate.py --checkpoint $(OUTPUTS)/pretrain/model \
		--tasks humaneval,mbpp,fim --greedy --allow-code-execution --output $(OUTPUTS)/eval

index: install
	$(BIN)/python ray_jobs/build_index.py --data $(OUTPUTS)/curated/data \
		--output $(OUTPUTS)/attribution --overwrite

serve: install
	$(BIN)/python ray_jobs/serve.py --checkpoint $(OUTPUTS)/pretrain/model

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

# Each benchmark builds the small inputs it needs (token shards, a checkpoint, a PII
# model) in a temporary folder: none reads $(OUTPUTS), so this works in a fresh clone.
benchmarks: install
	$(BIN)/python benchmarks/near_dedup.py
	$(BIN)/python benchmarks/dedup_stage.py
	$(BIN)/python benchmarks/issue_language_id.py
	$(BIN)/python benchmarks/license_accuracy.py
	$(BIN)/python benchmarks/curation_job.py
	$(BIN)/python benchmarks/mqa_vs_mha.py
	$(BIN)/python benchmarks/training_overhead.py
	$(BIN)/python benchmarks/lora_finetune.py
	$(BIN)/python benchmarks/serving.py
	$(BIN)/python benchmarks/attribution.py
	$(BIN)/python benchmarks/sandbox_throughput.py
	$(BIN)/python benchmarks/pii_redaction.py

clean:
	rm -rf outputs .pytest_cache
