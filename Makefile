# Two commands on a fresh machine (each creates the virtualenv on first use):
#   make preview STACK=heavy    offline preview of a stack, with the policy pack
#   make test                   every test
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= heavy
ARGS ?=

.PHONY: preview test venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt policy/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

preview: $(VENV)/.installed
	$(PY) -m offline.preview --stack $(STACK) $(ARGS)

# -n 2: the engine runs are CPU-bound and independent; two workers use both cores.
test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 $(ARGS)

# --- policy pack (issue 3) ---------------------------------------------------------------
.PHONY: vendor-policy
# The pack is published alone (only policy/ is uploaded): it ships generated copies of the
# sizing facts it shares with components/; tests/test_policy_vendored.py checks they match.
vendor-policy:
	cp components/sizing.py components/catalog.py components/instance_catalog.json policy/vendored/

# --- migration preview (issue 4) ---------------------------------------------------------
#   make migrate FROM=light TO=heavy                        move a stack between stack files
#   make migrate STACK=heavy SET="instanceType=c6a.2xlarge"  change settings of one stack
# ARGS=--json for machines. CLI exit codes: 0 safe, 2 bad input, 3 data at risk, 4 blocked
# (make itself exits 2 on any of them and names the code in its "Error N" line).
FROM ?=
TO ?=
SET ?=

.PHONY: migrate
migrate: $(VENV)/.installed
	$(PY) -m offline.migrate $(if $(FROM)$(TO),--from "$(FROM)" --to "$(TO)",--stack "$(STACK)") $(if $(SET),--set "$(SET)") $(ARGS)
