# Two commands for a newcomer: `make run` (the portal, embedded default) and `make test`.
# The virtualenvs and npm packages install side by side (a fresh clone sets up in about a minute).
MAKEFLAGS += --jobs=4
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
CHECKOV_VENV := .venv-checkov
# npm packages for tests: Backstage's own JSON Schemas (template, entities) and axe-core (the
# browser tests' accessibility checker). Without npm those tests skip, saying why.
NPM_TEST_DEPS := backstage/node_modules/.installed tests/browser/node_modules/.installed
TEST_DEPS := $(CHECKOV_VENV)/.installed $(if $(shell command -v npm),$(NPM_TEST_DEPS))

.PHONY: run test test-setup setup check

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov lives in its own virtualenv: it pins versions of boto3 and python-hcl2 that clash with ours.
$(CHECKOV_VENV)/.installed: .ci/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r .ci/checkov-requirements.txt
	touch $@

%/node_modules/.installed: %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed

# Where the machine carries a filesystem mirror of the Terraform providers (closed networks, these
# development and CI machines), `make run` installs the real AWS provider from it; elsewhere from the registry.
TERRAFORM_PROVIDER_MIRROR ?= $(firstword $(wildcard /opt/tf-plugins))

## run: set up, migrate, create demo users, start local AWS + web + workers (Ctrl-C stops all)
run: setup
	DEBUG=true TERRAFORM_PROVIDER_MIRROR="$(TERRAFORM_PROVIDER_MIRROR)" $(VENV)/bin/python manage.py runportal

## check: the shape guards: ruff (lint rules in ruff.toml, and the format), and no model change without
## its migration. Pinned query counts are tests (tests/*/query_counts.json).
check: setup
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --no-cache --check .
	env -u DATABASE_URL -u REDIS_URL DEBUG=true BUCKETWISE_VAR_DIR=var/check $(VENV)/bin/python manage.py makemigrations --check --dry-run

## test-setup: everything the test suite needs installed, and the shape guards (CI runs pytest itself after it)
test-setup: setup $(TEST_DEPS) check

## test: set up, run the shape guards, then the whole test suite (SQLite unless DATABASE_URL / REDIS_URL are set)
test: test-setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
