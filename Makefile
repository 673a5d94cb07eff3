# The two commands that matter: `make run` and `make test`. Each sets up everything it needs.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000
EMULATOR_PORT ?= 8085

.PHONY: run test bench lint format venv chromium wrk migrate clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Rebuilt whenever the lock changes; --locked refuses a lock that no longer matches pyproject.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

venv: $(VENV)/.synced

# Browser tests drive Debian's Chromium; a browser download from the internet is not possible here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

# The QBO emulator, the web server, a task worker and the QuickBooks sweep's clock, all on
# loopback; Ctrl-C stops them all. Billbridge's QBO settings default to this emulator.
run: venv migrate
	$(PY) manage.py seed_demo --if-empty
	@trap 'kill 0' EXIT; \
	export QBO_REDIRECT_URI=http://$(HOST):$(PORT)/settings/integrations/quickbooks/callback; \
	export QBO_EMULATOR_URL=http://$(HOST):$(EMULATOR_PORT); \
	$(PY) -m qbo_emulator --host $(HOST) --port $(EMULATOR_PORT) \
		--state var/qbo_emulator.json --seed sample --redirect-uri $$QBO_REDIRECT_URI \
		--webhook-url http://$(HOST):$(PORT)/quickbooks/webhooks & \
	$(PY) manage.py db_worker --interval 0.5 & \
	$(PY) manage.py qbo_scheduler & \
	echo; \
	echo "  Billbridge:     http://$(HOST):$(PORT)/   (log in as manager / billbridge-demo)"; \
	echo "  QBO emulator:   http://$(HOST):$(EMULATOR_PORT)/_emulator/ui/"; \
	echo "  Connect it in Settings ▸ Integrations ▸ QuickBooks Online."; \
	echo; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: venv chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/pytest -q

# wrk loads the emulator from C, so the load generator does not eat the server's CPU.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: venv chromium wrk
	$(VENV)/bin/pytest -q -s -m "bench or soak" bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .tools var staticfiles
