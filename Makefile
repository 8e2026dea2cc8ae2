# Concord: two commands on a fresh machine (Python 3.11 + make).
#   make demo   set up .venv, load the bundled demo data, dbt build, checks, summary
#   make test   set up .venv (+ a separate Label Studio venv), run the whole pytest suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LS_VENV := .venv-ls
LS_VERSION := 1.23.2
# the oldest DuckDB analysts' tools may bundle (the analyst snapshot's storage version, v1.4.0)
DUCKDB14_VENV := .venv-duckdb14
DUCKDB14_VERSION := 1.4.*
FIXTURES := tests/fixtures/label_studio
export CONCORD_DB ?= $(CURDIR)/concord.duckdb

.PHONY: demo test install install-test install-ls install-duckdb14 install-chromium lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

# Label Studio lives in its own venv: its Django pins must not touch the project's packages.
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q --upgrade pip
	$(LS_VENV)/bin/pip install -q "label-studio==$(LS_VERSION)"
	touch $@

# DuckDB 1.4 in its own venv: tests open the analyst snapshot with it, as an analyst's tool would
$(DUCKDB14_VENV)/.installed:
	$(PYTHON) -m venv $(DUCKDB14_VENV)
	$(DUCKDB14_VENV)/bin/pip install -q "duckdb==$(DUCKDB14_VERSION)"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-ls: $(LS_VENV)/.installed
install-duckdb14: $(DUCKDB14_VENV)/.installed
# the report's browser test opens it in Debian's chromium (CI runs as root)
install-chromium:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

demo: install
	$(BIN)/concord demo

# the lint runs first: CI (.ci/run) runs exactly `make test`, as the README says. Two pytest
# workers (pytest-xdist): dbt's per-node cost is single-threaded Python, so two builds side by
# side use both cores (the suite took 21 min on one worker on an idle machine, 10 min on two).
# `--dist loadgroup` with the groups of tests/conftest.py keeps a module on one worker (its
# module-scoped warehouse is built once) and every live test on one worker (one Label Studio).
test: install-test install-ls install-duckdb14 install-chromium lint
	LABEL_STUDIO_VENV=$(CURDIR)/$(LS_VENV) DUCKDB14_VENV=$(CURDIR)/$(DUCKDB14_VENV) \
		$(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=25

# `make test` runs the lint first: ruff's rules and its formatter for the Python, sqlfluff for the
# models (.sqlfluff). The dbt templater compiles the project: against a scratch warehouse and target
# folder, so linting never touches concord.duckdb or target/.
PY_SOURCES := concord ingest tests scripts setup.py
lint: install-test
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	tmp=$$(mktemp -d /tmp/concord-lint.XXXXXX); \
		CONCORD_SQL_LINT=1 CONCORD_DB=$$tmp/lint.duckdb DBT_TARGET_PATH=$$tmp/target \
		DBT_LOG_PATH=$$tmp/logs $(BIN)/sqlfluff lint models --processes 2 \
		--disable-progress-bar > $$tmp/sqlfluff.log 2>&1; \
		status=$$?; cat $$tmp/sqlfluff.log; \
		if grep -q "Skipped file" $$tmp/sqlfluff.log; then \
			echo "make lint: sqlfluff skipped a model (above), so it was not linted"; status=1; fi; \
		rm -rf $$tmp; exit $$status

clean:
	rm -rf target logs concord.duckdb concord.duckdb.wal concord.analyst.duckdb report.html
