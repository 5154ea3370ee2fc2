# Pennant — every target sets up the virtual environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-core test-qt lint-imports bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(PY) -m app --demo

# Qt-free layers run under pytest-asyncio; Qt tests run in their own process with qasync
# (mixing the two loop patterns in one process is unsafe, see ENVIRONMENT.md).
test: $(STAMP) lint-imports test-core test-qt

lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports

test-core: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/ui -q

test-qt: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/ui -q

bench: $(STAMP)
	$(PY) -m app.bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
