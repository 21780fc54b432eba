# Plaza's two everyday commands: `make run` and `make test`.
# Everything they need is installed here, from the package registries only.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_APP := $(VENV)/.installed-app
STAMP_TEST := $(VENV)/.installed-test
HTMX := static/vendor/htmx.min.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-days lint bench clean system-deps lock

run: $(STAMP_APP) $(HTMX)
	$(BIN)/plaza db upgrade
	$(BIN)/plaza demo
	$(BIN)/plaza serve --host $(HOST) --port $(PORT)

test: $(STAMP_TEST) $(HTMX) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest --numprocesses auto --dist worksteal --durations=20

# The date-sensitive tests as if it were each day of a week with a DST change.
test-days: $(STAMP_TEST) $(HTMX)
	scripts/test-days.sh

# Benchmarks print figures for people; add --json to any script for one JSON object.
bench: $(STAMP_TEST) system-deps
	$(BIN)/python bench/feed_load.py --cards 10000,100000
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ranking_speed.py
	$(BIN)/python bench/ranking_eval.py --quick
	$(BIN)/python bench/notify.py --consumers 2000
	$(BIN)/python bench/popularity.py
	$(BIN)/python bench/results.py
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/search.py --cards 100000
	$(BIN)/python bench/request_overhead.py
	$(BIN)/python bench/lighthouse.py

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Every package comes from the lock, checked against its hashes; Plaza itself is then
# installed with the locked build backend, so nothing unpinned is fetched.
$(STAMP_APP): pyproject.toml requirements/app.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/app.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

$(STAMP_TEST): pyproject.toml examples/plaza-store-events/pyproject.toml requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation --editable . --editable examples/plaza-store-events
	touch $(STAMP_APP) $@

# After changing a dependency in pyproject.toml: re-resolve both locks, with hashes for
# every platform, keeping the versions already locked where they still fit.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.9,<1'
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' $(LOCK_FLAGS) \
		pyproject.toml requirements/build.in -o requirements/app.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --extra test $(LOCK_FLAGS) \
		pyproject.toml examples/plaza-store-events/pyproject.toml requirements/build.in \
		-o requirements/test.txt

# htmx comes from the npm registry, pinned in package.json / package-lock.json.
$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

# PostgreSQL and Chromium for the database and browser tests (Debian packages).
system-deps:
	@scripts/system-deps.sh

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
