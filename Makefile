# The two commands of the README: `make demo` and `make test`. Both install what a fresh
# Debian machine lacks (a venv with the Python deps, Debian's prometheus package).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed
	@.ci/install-debian-packages

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

demo: setup
	$(PY) -m tests.generator.demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: setup
	$(PY) bench/pack_cost.py
	$(PY) bench/incident_cost.py
	$(PY) bench/pack_floor.py
	$(PY) bench/daemon_latency.py
	$(PY) bench/cycle_scale.py
	$(PY) bench/memory.py
	$(PY) bench/peer_slo_generator.py --setup-peer

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
