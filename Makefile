# Rostersync — `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
VENV_TASKS := .venv-tasks
PY := $(VENV)/bin/python
STACK := $(PY) -m tools.localstack
DEMO_STUDENTS ?= 5000

.PHONY: help install up down status lint test demo bench bundle clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"' \
	  || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	touch $@

$(VENV_TASKS)/.installed: requirements-tasks-emulator.txt
	$(PYTHON) -m venv $(VENV_TASKS)
	$(VENV_TASKS)/bin/pip install --quiet --disable-pip-version-check -r requirements-tasks-emulator.txt
	touch $@

install: $(VENV)/.installed $(VENV_TASKS)/.installed ## create the virtual environments (pinned)

up: install ## start the local stack (Firestore, Cloud Tasks, SIS, functions) on 127.0.0.1
	$(STACK) up

down: ## stop everything `make up` started
	@if [ -x $(PY) ]; then $(STACK) down; fi

status: install ## show which local services run
	$(STACK) status

lint: install ## ruff (lint and format) and mypy (strict on shared/)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: install lint ## lint, then the whole suite; the tests start and stop their own emulators
	$(VENV)/bin/pytest

demo: install ## start the stack, show the local SIS serving a district through it, stop
	@trap '$(STACK) down' EXIT; $(STACK) up --sis-arg=--students=$(DEMO_STUDENTS) && $(PY) -m tools.demo

bench: install ## roster sync and mark export measured through the local stack
	$(PY) -m bench.run $(BENCH_ARGS)

clean: down ## remove virtual environments and local state
	rm -rf $(VENV) $(VENV_TASKS) .stack .pytest_cache .mypy_cache .ruff_cache

bundle: install ## write build/functions-source.zip, the source infra/ deploys
	$(PY) -m tools.bundle
