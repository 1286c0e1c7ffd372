# edoc — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

export EDOC_DATA_DIR ?= $(CURDIR)/var

.PHONY: install install-test run prod-local test test-fast lint format screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## install: Debian packages (when missing) and the project in .venv, editable.
install: $(STAMP)
	@scripts/bootstrap run

install-test: $(TEST_STAMP)
	@scripts/bootstrap test

## run: install, migrate, load the demo agency once, serve on http://127.0.0.1:$${EDOC_PORT:-5000}
run: install
	$(BIN)/edoc db upgrade
	$(BIN)/edoc demo --if-empty
	$(BIN)/edoc serve

## prod-local: the production profile on this machine (gunicorn with several workers, `edoc
## worker` on Redis, PostgreSQL, a SeaweedFS S3 it starts); Ctrl-C stops it. See scripts/prod-local.
prod-local: install-test
	$(BIN)/python scripts/prod-local

## test: the whole suite on SQLite, and on PostgreSQL when it answers.
test: install-test
	scripts/run-tests

test-fast: install-test
	scripts/run-tests -m "not browser and not slow"

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## screenshots: the README's pictures of each demo account, taken by chromium on `edoc demo` data,
## at 1280x860 and on a 390x844 phone (docs/screenshots/*.png and *-phone.png; commits nothing:
## review and commit them yourself).
screenshots: install-test
	rm -f docs/screenshots/*.png
	EDOC_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
		"tests/browser/test_tour.py::test_what_each_demo_account_sees[sqlite]" \
		"tests/browser/test_tour.py::test_the_phone_menu_folds_and_opens_with_the_keyboard[sqlite]"
	@ls docs/screenshots

clean:
	rm -rf var .pytest_cache
