# onewindow: two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: serve test lint unit bench clean system

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "onewindow needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# First start: creates ./data, the demo users (printed once, also kept in
# data/demo-users.txt) and serves http://127.0.0.1:8000.
serve: $(STAMP)
	$(BIN)/onewindow serve --demo --catalog catalog --data-dir data

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Chromium, CJK fonts, Node.js: installed as root, otherwise the command is printed.
system:
	@scripts/system-deps

unit: $(STAMP) system
	$(BIN)/pytest -q -n auto

test: lint unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/plan.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
