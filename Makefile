# Everything a fresh Debian machine with only Python needs: `make test`, `make demo`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBS := redis-server redis-sentinel prometheus prometheus-alertmanager prometheus-redis-exporter systemd openssl procps python3-venv
PYTEST_ARGS ?=
# `make wheel`: the exporter's wheel and its dependencies' wheels, for hosts without network
# (pip install --no-index --find-links $(WHEELHOUSE) redis-ha-exporter; the Ansible role does).
WHEELHOUSE ?= dist/wheelhouse

.PHONY: test lint typecheck demo deps venv bench chaos soak clean docs rules dashboards wheel

# `make rules dashboards GROUP_LABELS=cluster,region` generates both for your deployment labels
# (GROUP_LABELS= for none); RUNBOOK_URL= sets the runbooks' base (default
# http://{exporter}/runbooks/, served by every exporter; docs/alerts.md#runbooks); OUT= / OUT_DIR=
# write elsewhere than the shipped files: the way to make rules you copy by hand. Unset, each
# takes the generator's default.
GENERATOR_ARGS = $(if $(filter undefined,$(origin GROUP_LABELS)),,--group-labels '$(GROUP_LABELS)')

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@# Debian starts the packaged services; the tests start their own on free ports.
	@-for s in redis-server redis-sentinel prometheus prometheus-alertmanager prometheus-redis-exporter; do \
	  systemctl stop $$s >/dev/null 2>&1 || service $$s stop >/dev/null 2>&1 || true; done

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check exporter harness tests dashboards alerts
	$(VENV)/bin/ruff format --check exporter harness tests dashboards alerts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The Ansible tests install the exporter from the wheelhouse `make wheel` builds.
test: deps $(STAMP) lint typecheck wheel
	WHEELHOUSE=$(WHEELHOUSE) $(VENV)/bin/pytest -m "not slow" -n 2 --dist loadfile $(PYTEST_ARGS)

# Wheels for the Python of .venv (the hosts' Python minor version and architecture must match:
# build with the same Python as the hosts run). Earlier builds of the exporter are removed first,
# so the wheelhouse holds one version of it. SHA256SUMS lists them: the role copies the wheels
# again only when it changed, and `sha256sum -c SHA256SUMS` checks a copy by hand. The wheel's
# timestamps are the last commit's, so the same sources give the same wheel (and no redeploy).
wheel: $(STAMP)
	rm -f $(WHEELHOUSE)/redis_ha_exporter-*.whl
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 315532800) \
	  $(PY) -m pip wheel --quiet --disable-pip-version-check --wheel-dir $(WHEELHOUSE) . \
	  'async-timeout>=4.0.3' # redis-py's below Python 3.11.3: Debian bookworm's python3 is 3.11.2
	cd $(WHEELHOUSE) && sha256sum *.whl > SHA256SUMS

demo: deps $(STAMP)
	$(PY) -m harness.demo

docs: $(STAMP)
	$(PY) -m redis_ha_exporter.reference > docs/metrics.md
	$(PY) -m redis_ha_exporter.reference --splice README.md docs/migrating-from-redis_exporter.md

rules:
	python3 alerts/generate.py $(GENERATOR_ARGS) $(if $(RUNBOOK_URL),--runbook-url '$(RUNBOOK_URL)') $(if $(OUT),--out '$(OUT)')

dashboards:
	python3 dashboards/generate.py $(GENERATOR_ARGS) $(if $(OUT_DIR),--out-dir '$(OUT_DIR)')

# The exporter is measured as the Ansible role installs it on the seeds' Debian hosts: a venv of
# Debian's python3, from the wheelhouse (bench/RESULTS.md).
bench: deps $(STAMP) wheel
	WHEELHOUSE=$(WHEELHOUSE) $(VENV)/bin/pytest -m slow -s tests/bench $(PYTEST_ARGS)

# `make chaos`: one fault after another on three hosts (network namespaces) for some minutes while
# a client scrapes; `make soak`: SOAK_SECONDS (300) under load, RSS slope in KiB per 1000 scrapes,
# and SCRAPE_ROUNDS (3000) /metrics and /scrape calls counting tasks and connections. Both print
# their figures (docs/reliability.md); `make test` runs a short version of each fault.
chaos: deps $(STAMP)
	$(VENV)/bin/pytest -m slow -s tests/chaos/test_chaos.py $(PYTEST_ARGS)

soak: deps $(STAMP)
	SCRAPE_ROUNDS=$${SCRAPE_ROUNDS:-3000} $(VENV)/bin/pytest -s \
	  tests/e2e/test_resources_e2e.py tests/chaos/test_soak.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
