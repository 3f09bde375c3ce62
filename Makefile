# Strato: `make run` serves everything locally; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := $(PY) scripts/services.py

.PHONY: run test test-fast test-browser lint format bench install services-up services-down migrate schema-snapshot chromium wrk clean audit

$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(SERVICES) run

test: install chromium
	$(SERVICES) exec --profile test -- $(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(SERVICES) exec --profile test -- $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: install chromium
	$(SERVICES) exec --profile test -- $(PY) -m pytest -m browser $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; install it when missing (root, or sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

# Security checks of CI's security job (pip-audit, ruff S rules, secret scan, check --deploy).
audit: install
	$(PY) scripts/audit.py

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# benchmarks/tracking.py drives gunicorn with wrk; install Debian's when missing.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the tracking benchmark"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

bench: install wrk
	$(SERVICES) exec --profile bench --settings strato.settings.bench -- $(PY) benchmarks/run_all.py

services-up: install
	$(SERVICES) up

services-down: install
	$(SERVICES) down

migrate: install
	$(SERVICES) exec -- sh -c '$(PY) scripts/schema_snapshot.py restore && $(PY) manage.py migrate_schemas --shared && $(PY) manage.py bootstrap_tenancy && $(PY) manage.py migrate_schemas --tenant'

# Rebuild scripts/schema_snapshot.sql.gz after a migration changes (ours or a package's):
# migrates a scratch database from scratch, dumps it and checks the dump restores identical.
schema-snapshot: install
	$(SERVICES) exec --profile snapshot -- $(PY) scripts/schema_snapshot.py build

clean:
	$(SERVICES) down || true
	rm -rf .data
