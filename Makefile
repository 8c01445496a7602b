# `make run` serves the API on an embedded PostgreSQL; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint licenses format fuzz bench clean

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The API, one scan worker and the audit signer beside it. The worker and the signer run in
# their own sessions, so Ctrl-C reaches only the server; once the server has stopped, each gets
# one SIGTERM (a graceful stop).
run: $(STAMP)
	@setsid $(BIN)/privacy-service worker & worker=$$!; \
	setsid $(BIN)/privacy-service audit signer & signer=$$!; \
	$(BIN)/privacy-service serve --host $(HOST) --port $(PORT) & server=$$!; \
	trap 'kill -TERM $$server 2>/dev/null' INT TERM; \
	wait $$server; wait $$server; status=$$?; \
	kill -TERM $$worker $$signer 2>/dev/null; wait $$worker; wait $$signer; exit $$status

test: $(STAMP)
	$(BIN)/pytest

# A longer, randomised schemathesis run (every operation, positive and negative cases, and
# stateful sequences along the document's links), FUZZ_SCALE times the suite's cases, with a
# random seed it prints first; `make fuzz SEED=N` replays a run.
FUZZ_SCALE ?= 8
fuzz: $(STAMP)
	@seed=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "fuzz seed $$seed (replay: make fuzz SEED=$$seed)"; \
	FUZZ_EXAMPLES_SCALE=$(FUZZ_SCALE) $(BIN)/pytest tests/test_fuzz.py --hypothesis-seed=$$seed -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The licence of every runtime dependency; fails on GPL/AGPL, unreviewed LGPL or unknown ones.
licenses: $(STAMP)
	$(BIN)/python tools/licenses.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	-$(BIN)/privacy-service db-stop
	rm -rf .data $(VENV)
