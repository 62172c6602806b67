# Two commands for a newcomer: `make run` (the portal, embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
CHECKOV_VENV := .venv-checkov
# Backstage's own JSON Schemas (npm) check the template and the entities; without npm those tests skip.
TEST_DEPS := $(CHECKOV_VENV)/.installed $(if $(shell command -v npm),backstage/node_modules/.installed)

.PHONY: run test setup

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

backstage/node_modules/.installed: backstage/package-lock.json
	npm ci --prefix backstage --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed

## run: set up, migrate, create demo users, start local AWS + web + workers (Ctrl-C stops all)
run: setup
	DEBUG=true $(VENV)/bin/python manage.py runportal

## test: set up and run the whole test suite (SQLite unless DATABASE_URL / REDIS_URL are set)
test: setup $(TEST_DEPS)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
