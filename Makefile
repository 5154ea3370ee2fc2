# Pennant — every target sets up the virtual environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-core test-qt test-keychain lint-imports bench clean

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
test: $(STAMP) lint-imports test-core test-keychain test-qt

lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports

test-core: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/ui -q

# The keychain against a real Secret Service (gnome-keyring on a private D-Bus session). .ci/run
# installs both and sets PENNANT_REQUIRE_SECRETSERVICE=1; elsewhere a missing tool only warns.
test-keychain: $(STAMP)
	@if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then \
		.ci/secretservice-test -q; \
	elif [ -n "$$PENNANT_REQUIRE_SECRETSERVICE" ]; then \
		echo "test-keychain: dbus-run-session and gnome-keyring-daemon are required" >&2; exit 1; \
	else \
		echo "test-keychain: skipped (install dbus-daemon and gnome-keyring to run it)"; \
	fi

test-qt: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/ui -q

bench: $(STAMP)
	$(PY) -m app.bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
