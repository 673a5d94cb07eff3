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
# The mail catcher `make run` starts: Billbridge's mail goes to its SMTP port (var/run.env).
MAIL_SMTP_PORT ?= 1025
MAIL_PAGE_PORT ?= 8025
# Test processes (pytest-xdist): the suite mostly waits on loopback servers, so two share the
# two cores well.
TEST_WORKERS ?= 2
# The QBO settings `make run` gives its processes, written once by it for every other process
# that must talk to the same emulator: `make shell`, or `source var/run.env` in any terminal.
RUN_ENV ?= var/run.env

.PHONY: run serve shell env test bench lint format venv chromium pdf-libs wrk migrate clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Rebuilt whenever the lock changes; --locked refuses a lock that no longer matches pyproject.
# The emulator is a workspace member with a pyproject of its own (installed editable).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml qbo_emulator/pyproject.toml
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

venv: $(VENV)/.synced pdf-libs

# WeasyPrint renders the invoice PDFs through Pango and HarfBuzz (docs/decisions/0023).
pdf-libs:
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 && ldconfig -p | grep -q libharfbuzz-subset.so.0 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; }

# Browser tests drive Debian's Chromium; a browser download from the internet is not possible here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

# The QBO settings of this HOST, PORT and EMULATOR_PORT, as shell exports. `make run` writes
# them each time it starts, so the file always describes the servers last started.
env:
	@mkdir -p $(dir $(RUN_ENV))
	@printf 'export %s\n' \
		"QBO_REDIRECT_URI=http://$(HOST):$(PORT)/settings/integrations/quickbooks/callback" \
		"QBO_EMULATOR_URL=http://$(HOST):$(EMULATOR_PORT)" \
		"EMAIL_HOST=$(HOST)" "EMAIL_PORT=$(MAIL_SMTP_PORT)" > $(RUN_ENV)

# A shell with the virtualenv and the QBO settings of the last `make run` (the defaults when
# it never ran): `manage.py export_invoices` and the rest talk to the same emulator.
shell: venv
	@test -f $(RUN_ENV) || $(MAKE) --no-print-directory env RUN_ENV=$(RUN_ENV)
	@echo "Settings of make run, from $(RUN_ENV):"; sed 's/^export /  /' $(RUN_ENV)
	@bash -i --rcfile <(printf '%s\n' '[ -f ~/.bashrc ] && . ~/.bashrc' \
		'. $(VENV)/bin/activate' '. $(RUN_ENV)')

# The QBO emulator, the web server, a task worker and the QuickBooks sweep's clock, all on
# loopback; Ctrl-C stops them all. Billbridge's QBO settings default to this emulator.
run: venv migrate env
	$(PY) manage.py seed_demo --if-empty
	@trap 'kill 0' EXIT; \
	source $(RUN_ENV); \
	$(PY) -m qbo_emulator --host $(HOST) --port $(EMULATOR_PORT) \
		--state var/qbo_emulator.json --seed sample --redirect-uri $$QBO_REDIRECT_URI \
		--webhook-url http://$(HOST):$(PORT)/quickbooks/webhooks & \
	$(PY) -m mail_catcher --host $(HOST) --smtp-port $(MAIL_SMTP_PORT) \
		--http-port $(MAIL_PAGE_PORT) & \
	$(PY) manage.py worker --interval 0.5 & \
	$(PY) manage.py qbo_scheduler & \
	echo; \
	echo "  Billbridge:     http://$(HOST):$(PORT)/   (log in as manager / billbridge-demo)"; \
	echo "  QBO emulator:   http://$(HOST):$(EMULATOR_PORT)/_emulator/ui/"; \
	echo "  Mail catcher:   http://$(HOST):$(MAIL_PAGE_PORT)/   (every mail Billbridge sends)"; \
	echo "  Connect it in Settings ▸ Integrations ▸ QuickBooks Online."; \
	echo "  From another terminal (the same QBO settings; or run make shell first):"; \
	echo "    source $(RUN_ENV) && $(PY) manage.py export_invoices --user manager --all-finalized"; \
	echo; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

# What production runs, from the environment alone (README "Running it for real"; set
# BILLBRIDGE_ENV=production and the rest of deploy/env.example): gunicorn, BILLBRIDGE_WORKERS task
# workers and the scheduler, under honcho; SIGTERM or Ctrl-C stops them cleanly. It refuses to
# start, with one line, on a bad setting, an unreachable database or an unapplied migration
# (run `make migrate` first, and after every upgrade).
BILLBRIDGE_WORKERS ?= 2
METRICS_DIR ?= var/metrics
serve: venv
	@$(PY) manage.py preflight
	@$(PY) manage.py collectstatic --noinput --verbosity 0
	@rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PATH="$(abspath $(VENV))/bin:$$PATH" PROMETHEUS_MULTIPROC_DIR=$(abspath $(METRICS_DIR)) \
		BILLBRIDGE_BIND=$${BILLBRIDGE_BIND:-$(HOST):$(PORT)} \
		exec $(VENV)/bin/honcho --no-colour -f deploy/Procfile -d . start \
		-c web=1,worker=$(BILLBRIDGE_WORKERS),scheduler=1

# node-quickbooks, exactly as tests/contract/node/package-lock.json pins it: the contract suite's
# second client, run by Node (that suite skips where Node is not installed).
NODE_CONTRACT := tests/contract/node/node_modules/.package-lock.json
$(NODE_CONTRACT): tests/contract/node/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the node-quickbooks contract tests skip"; exit 0; }; \
	npm ci --prefix tests/contract/node --no-audit --no-fund

# The import contracts (pyproject.toml [tool.importlinter]) keep dependencies pointing one way.
test: venv chromium $(NODE_CONTRACT)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS)

# wrk loads the emulator from C, so the load generator does not eat the server's CPU.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: venv chromium wrk
	$(VENV)/bin/pytest -q -s -m "bench or soak" bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .tools var staticfiles
