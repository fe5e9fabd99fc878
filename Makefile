# Hospital FAQ dialogue engine. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
# The interpreter that creates the venv: pyenv's 3.10.13 if present, else python3.10 on PATH.
BASE_PYTHON ?= $(shell (command -v pyenv >/dev/null && PYENV_VERSION=$(PYTHON_VERSION) pyenv which python3.10 2>/dev/null) || command -v python3.10)
VENV := .venv
PY := $(VENV)/bin/python
# Rasa's CLI with the project's fixes installed first (bot/rasa_patches.py: schemas compiled once).
RASA := $(PY) -m bot rasa
export PYTHONPATH := $(CURDIR)
export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 3
export SANIC_HOST := 127.0.0.1
# No telemetry or error reports leave the machine.
export RASA_TELEMETRY_ENABLED := false

HOST := 127.0.0.1
ACTION_PORT ?= 5055
RASA_PORT ?= 5005
MODEL := models/hospital.tar.gz
NLU_DATA := data/nlu
CORE_DATA := data/rules.yml data/stories.yml
TRAIN_DATA := $(NLU_DATA) $(CORE_DATA)
KG_STAMP := var/kg.stamp
KG_FILES := $(wildcard data/kg/*.json)
TRAIN_INPUTS := config.yml domain.yml $(CORE_DATA) $(wildcard $(NLU_DATA)/*.yml) \
	$(wildcard intents/*.py intents/*.yml slots/*.py neural/*.py) $(KG_STAMP)

.PHONY: help install lint lock system-packages falkordb kg kg-check kg-bench train run run-scaled shell actions \
	test test-py test-stories validate eval-nlu bench-parse bench-turns bench-load pretrain clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: $(VENV)/.installed  ## create .venv (Python 3.10): pinned runtime (requirements.txt) + dev tools

# The runtime set from the hashed lock (every file checked against its sha256), then the test and
# lint tools of requirements-dev.txt on top (it includes requirements.txt, already satisfied).
$(VENV)/.installed: requirements.txt requirements.lock requirements-dev.txt
	@test -n "$(BASE_PYTHON)" || { echo "Python 3.10 not found: install $(PYTHON_VERSION) with pyenv" >&2; exit 1; }
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip<25"
	$(PY) -m pip install --require-hashes -r requirements.lock
	$(PY) -m pip install -r requirements-dev.txt
	$(PY) -m pip check
	touch $@

lock: $(VENV)/.installed  ## regenerate requirements.lock (sha256 per file) from requirements.txt (tools/lock.py)
	$(PY) -m tools.lock

lint: install  ## ruff check, ruff format --check, mypy, import cycles (python -m tools.imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m tools.imports

system-packages:  ## Debian packages the tests need (redis-server, haproxy, chromium, chromium-driver, CJK font)
	scripts/install_system_packages.sh

falkordb: $(VENV)/.installed  ## fetch FalkorDB (redis-server + falkordb.so) into var/falkordb for the Bolt tests
	scripts/fetch_falkordb.sh

kg: $(KG_STAMP)  ## build the embedded knowledge graph from data/kg/*.json

$(KG_STAMP): $(VENV)/.installed $(KG_FILES) $(wildcard kg_queries/*.py)
	$(PY) -m bot kg import --replace 'data/kg/*.json'
	touch $@

kg-check: install kg  ## consistency report on the graph; fails on contradictions
	$(PY) -m bot kg check

kg-bench: install  ## synthetic 8,800-disease file: import twice into a fresh store, lookup latency
	$(PY) -m bot kg bench

train: $(MODEL)  ## train the Rasa model if config, data, components or graph changed

# Trained under another name and renamed at the end, so an interrupted training never leaves
# a truncated models/hospital.tar.gz for the next `make run` to serve.
$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	rm -f models/hospital-partial.tar.gz
	$(RASA) train --config config.yml --domain domain.yml --data $(TRAIN_DATA) \
		--out models --fixed-model-name hospital-partial
	mv -f models/hospital-partial.tar.gz $@

actions: install kg  ## run only the action server on $(HOST):$(ACTION_PORT)
	$(PY) -m bot actions --host $(HOST) --port $(ACTION_PORT)

# API=1 also serves Rasa's HTTP API, which needs RASA_API_TOKEN or RASA_JWT_SECRET (bot/cli/serve.py).
API ?=
SERVE_FLAGS := $(if $(filter 1 yes true,$(API)),--api,)

run: install kg train  ## everything needed, then actions on :5055 and the channels on :5005 (API=1: Rasa API, needs a token)
	@echo "web chat: http://$(HOST):$(RASA_PORT)/webhooks/web/  (the HIS channel needs HIS_TOKEN set)"
	@$(PY) -m bot actions --host $(HOST) --port $(ACTION_PORT) & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT INT TERM; \
	$(PY) -m bot serve --host $(HOST) --port $(RASA_PORT) --model $(MODEL) $(SERVE_FLAGS)

# The scaled profile (endpoints.scaled.yml, docs/deployment.md): Redis (local redis-server unless
# REDIS_URL), ACTION_WORKERS action processes, SERVERS Rasa servers x WORKERS Sanic workers, HAProxy
# on $(RASA_PORT) with RATE_LIMIT web/REST requests per 10 s per client address (0 = off).
SERVERS ?= 2
WORKERS ?= 1
ACTION_WORKERS ?= 2
RATE_LIMIT ?= 30

run-scaled: install kg train system-packages  ## Redis + SERVERS Rasa servers x WORKERS workers + action workers behind HAProxy on :5005
	$(PY) -m bot run-scaled --port $(RASA_PORT) --servers $(SERVERS) --workers $(WORKERS) \
		--action-workers $(ACTION_WORKERS) --rate-limit $(RATE_LIMIT) --model $(MODEL)

# The servers log to var/actions.log and var/serve.log; the client (python -m bot shell, tools/shell_view.py)
# waits for the REST channel, then prints one line per bot message. VERBOSE=1 also prints the JSON.
VERBOSE ?=
SHELL_FLAGS := $(if $(filter 1 yes true,$(VERBOSE)),-v,)

shell: install kg train  ## chat in the terminal through REST: text, [buttons], ‹strategy› (VERBOSE=1: JSON too)
	@$(PY) -m bot actions --host $(HOST) --port $(ACTION_PORT) >var/actions.log 2>&1 & apid=$$!; \
	$(PY) -m bot serve --host $(HOST) --port $(RASA_PORT) --model $(MODEL) >var/serve.log 2>&1 & spid=$$!; \
	trap "kill $$apid $$spid 2>/dev/null" EXIT INT TERM; \
	$(PY) -m bot shell --url http://$(HOST):$(RASA_PORT) --wait 300 --wait-pid $$spid $(SHELL_FLAGS) \
		|| echo "(server log: var/serve.log, action server log: var/actions.log)" >&2

test: install validate kg train test-py test-stories  ## rasa data validate, pytest, then the Rasa conversation test stories

validate: install  ## rasa data validate: domain, NLU data, rules and stories agree (warnings are printed, not fatal)
	$(RASA) data validate --domain domain.yml --data $(TRAIN_DATA) --config config.yml

test-py: install kg train system-packages falkordb
	$(PY) -m pytest -q tests

test-stories: install kg train  ## rasa test on tests/stories/ with a live action server; fails on any failed story
	$(PY) -m tools.run_stories --model $(MODEL) --stories tests/stories --port $(ACTION_PORT)

eval-nlu: install kg train  ## intent/sub-intent/entity/linking scores on tests/nlu and tests/nlu_realistic -> results/nlu_eval{,_realistic}
	$(PY) -m bot eval nlu --model $(MODEL) --data tests/nlu --out results/nlu_eval
	$(PY) -m bot eval nlu --model $(MODEL) --data tests/nlu_realistic --out results/nlu_eval_realistic

bench-parse: install kg train  ## POST /model/parse latency (server on 127.0.0.1:15105)
	$(PY) -m bot bench parse --model $(MODEL) --n 300 --port 15105

bench-turns: install kg train  ## this bot next to a vanilla `rasa init` bot: turn latency, turns/s at 16 senders, parse, RSS
	$(PY) -m bot bench turns --model $(MODEL)

bench-load: install kg train system-packages  ## 1,000 conversations x 5 turns at 32 senders through HAProxy + Redis, 1 and 2 workers
	$(PY) -m bot bench load --model $(MODEL) --workers 1,2

pretrain: install  ## optional: masked-LM pre-training on our own text -> models/pretrained (~14 min)
	$(PY) -m bot pretrain --out models/pretrained

clean:  ## remove the graph, models and test output (keeps .venv)
	rm -rf var models results .rasa
