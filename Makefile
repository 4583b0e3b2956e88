# Two commands on a fresh machine (each creates the virtualenv on first use):
#   make preview STACK=heavy    offline preview of a stack, with the policy pack
#   make test                   every test, real parts included (needs nginx)
# and `make lint`: ruff (lint, import order, format) and mypy, as CI runs them.
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= heavy
ARGS ?=

.PHONY: preview test lint venv

venv: $(VENV)/.installed

# requirements.txt is what `pulumi up` installs; the dev file adds the commands, tests and linters.
$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt pypi_index/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

preview: $(VENV)/.installed
	$(PY) -m commands.preview --stack $(STACK) $(ARGS)

# -n 2: the engine runs are CPU-bound and independent; two workers use both cores.
# Real parts (nginx, pypiserver, the clients) are required: a missing one fails its tests
# instead of skipping them, and a machine without nginx stops here, at once, in one line.
test: $(VENV)/.installed
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
		{ echo "make test needs nginx for the tests that run the task: apt-get install -y nginx"; exit 2; }
	REQUIRE_REAL_PARTS=1 $(PY) -m pytest -q -n 2 -m "not github_action" $(ARGS)

# The GitHub action's own exchange script against the local run (needs a checkout of
# pypa/gh-action-pypi-publish in .clients/gh-action-pypi-publish or PYPI_PUBLISH_ACTION_DIR;
# it is not redistributed here, and CI has no GitHub access).
.PHONY: test-action
test-action: $(VENV)/.installed
	REQUIRE_REAL_PARTS=1 $(PY) -m pytest -q -m github_action tests/tools/test_trusted_publishing.py $(ARGS)

# Configuration in pyproject.toml; .pre-commit-config.yaml runs the same on commit.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# --- mutation run ----------------------------------------------------------------------------
#   make mutate MODULE=guide/sizing.py          one change at a time, only the covering tests run;
#                                               prints each mutant and the score (devtools/mutate.py)
MODULE ?=

.PHONY: mutate
mutate: $(VENV)/.installed
	$(PY) -m devtools.mutate "$(MODULE)"

# --- policy pack ---------------------------------------------------------------------------
.PHONY: sync-guide
# The pack is published alone (only policy/ is uploaded): it ships a generated copy of guide/,
# the sizing facts it shares with the program; tests/guide/test_pack_copy.py checks the trees match.
sync-guide:
	rm -rf policy/guide
	cp -r guide policy/guide
	find policy/guide -name __pycache__ -prune -exec rm -rf {} +

# --- client settings -------------------------------------------------------------------------
#   make client-config STACK=heavy USER=reader [URL=https://pypi.example.com]
# uv, pip, poetry, twine and keyring/.netrc settings for one user (URL: the stack's url output).
URL_ARG = $(if $(URL),--url "$(URL)")

.PHONY: client-config
client-config: $(VENV)/.installed
	$(PY) -m commands.client_config --stack "$(STACK)" --user "$(USER)" $(URL_ARG) $(ARGS)
# --- alarms over time ------------------------------------------------------------------------
#   make alarms STACK=heavy [ARGS='--set alarmEmails=["ops@example.com"]']
# Every rendered alarm, evaluated as CloudWatch does over what AWS would emit in each failure
# scenario (commands/alarms/): prints the scenario x alarm table; exit 1 when a failure reaches
# nobody or a quiet time fires an alarm.
.PHONY: alarms
alarms: $(VENV)/.installed
	$(PY) -m commands.alarms --stack $(STACK) $(ARGS)

# --- migration preview -----------------------------------------------------------------------
#   make migrate FROM=light TO=heavy                        move a stack between stack files
#   make migrate STACK=heavy SET="instanceType=c6a.2xlarge"  change settings of one stack
# ARGS=--json for machines. CLI exit codes: 0 safe, 2 bad input, 3 data at risk, 4 blocked
# (make itself exits 2 on any of them and names the code in its "Error N" line).
FROM ?=
TO ?=
SET ?=
# DEPLOYED="key=value": what the deployed stack already differs from its file by (with STACK).
DEPLOYED ?=

.PHONY: migrate
migrate: $(VENV)/.installed
	$(PY) -m commands.migrate $(if $(FROM)$(TO),--from "$(FROM)" --to "$(TO)",--stack "$(STACK)") $(if $(SET),--set '$(SET)') $(if $(DEPLOYED),--deployed '$(DEPLOYED)') $(ARGS)

# --- the task on one machine: serving fast under burst --------------------------------------
#   make serve STACK=heavy [PORT=8080]           the stack's task on 127.0.0.1 until Ctrl-C
#   make stress URL=http://host PROFILE=burst    validate an index (burst|sustained|with-uploads|light);
#                                                credentials from PYPI_USERNAME/PYPI_PASSWORD
#   make bench                                   guide's design vs our task vs static nginx, one run:
#                                                results/bench.json + results/bench.png
URL ?=
PROFILE ?= burst
PORT ?= 8080

.PHONY: serve stress bench
serve: $(VENV)/.installed
	$(PY) -m tools.serve --stack "$(STACK)" --port "$(PORT)" $(ARGS)

stress: $(VENV)/.installed
	$(PY) -m tools.stress --url "$(URL)" --profile "$(PROFILE)" $(ARGS)

bench: $(VENV)/.installed
	$(PY) -m tools.bench $(ARGS)

# --- right-sizing advisor -----------------------------------------------------------------
#   make advise STACK=heavy [DAYS=14]             the guide's rules on the deployed stack's metrics
#   make advise STACK=heavy OUTPUTS=out.json      resources from a saved `pulumi stack output --json`
# AWS credentials from boto3's standard chain. ARGS="--json", "--by-tags", "--region R",
# "--period 60|300|3600". CLI exit codes: 0 advice, 2 bad input, 3 AWS could not answer.
DAYS ?= 14
OUTPUTS ?=

.PHONY: advise
advise: $(VENV)/.installed
	$(PY) -m commands.advise --stack "$(STACK)" --days "$(DAYS)" $(if $(OUTPUTS),--outputs "$(OUTPUTS)") $(ARGS)
