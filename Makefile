# Two commands: `make demo` and `make test`. Both set everything up first, idempotently.
# On the machine that runs the service, as root: `make check-service` (README, "Running as a
# service") checks its set-up with the installed photosync and prints what to fix.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
PHOTOSYNC_PYTHON ?= /opt/photosync/bin/python
CHECK_ARGS ?=

.PHONY: setup test lint demo bench clean check-service

setup: $(STAMP)

$(STAMP): pyproject.toml bin/setup-system
	bin/setup-system
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The gate first (ruff and mypy over photosync/ at zero, config in pyproject.toml), then the suite.
test: lint
	bin/setup-test-browser
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check photosync
	$(BIN)/mypy

demo: setup
	$(BIN)/python bin/demo

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

check-service:
	$(PHOTOSYNC_PYTHON) bin/check-service $(CHECK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis demo-run test-artifacts
