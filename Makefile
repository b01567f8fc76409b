# Rostersync — `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
VENV_INFRA := .venv-infra
PY := $(VENV)/bin/python
STACK := $(PY) -m tools.localstack
DEMO_STUDENTS ?= 5000
# pytest worker processes for `make test` (pytest-xdist), each with its own local stack
TEST_WORKERS ?= 2

.PHONY: help preflight install up down status lint test demo bench bundle clean token

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# What pip cannot install (Python 3.11, Java, the Firestore emulator) is checked up front.
preflight:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
	  || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	@$(PYTHON) -m tools.preflight

# The project itself last, editable and without dependencies: the `rostersync` console script.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml | preflight
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# checkov pins an older `packaging` than the project, so it has its own environment.
$(VENV_INFRA)/.installed: requirements-infra.txt | preflight
	$(PYTHON) -m venv $(VENV_INFRA)
	$(VENV_INFRA)/bin/pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	touch $@

install: preflight $(VENV)/.installed $(VENV_INFRA)/.installed ## create the virtual environments (pinned)

up: install ## start the local stack (Firestore, Cloud Tasks, SIS, functions) on 127.0.0.1
	$(STACK) up

down: ## stop everything `make up` started
	@if [ -x $(PY) ]; then $(STACK) down; fi

status: install ## show which local services run
	$(STACK) status

lint: install ## ruff, mypy (strict on shared/), offline infra checks (HCL, fmt, IAM, indexes, checkov)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m tools.infra_check
	$(VENV_INFRA)/bin/checkov --directory infra --framework terraform --skip-download --compact --quiet

test: install lint ## lint, then the whole suite; the tests start and stop their own emulators
	@$(PYTHON) -m tools.preflight --tests
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# `localstack run` starts the stack, runs the demo, and stops the stack however the demo ends
# (Ctrl-C or SIGTERM included).
demo: install ## start the stack, show the local SIS serving a district through it, stop
	@$(STACK) run --sis-arg=--students=$(DEMO_STUDENTS) --sis-arg=--defects -- $(PY) -m tools.demo

# BENCH_ARGS="--sizes 1000,10000,100000" for the large run; docs/bench.md explains the figures.
bench: install ## sync and export measured per district size against their goals (docs/bench.md)
	$(PY) -m bench.run $(BENCH_ARGS)

clean: down ## remove virtual environments and local state
	rm -rf $(VENV) .venv-tasks $(VENV_INFRA) .stack .pytest_cache .mypy_cache .ruff_cache

token: install ## print an ID token from the local issuer of the running stack: make token EMAIL=…
	@test -n "$(EMAIL)" || { echo "usage: make token EMAIL=admin@district.example.org"; exit 2; }
	@$(PY) -m tools.local_issuer token "$(EMAIL)"

bundle: install ## write build/functions-source.zip, the source infra/ deploys
	$(PY) -m tools.bundle
