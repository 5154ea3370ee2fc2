# Pennant — every target sets up the virtual environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-core test-qt test-keychain lint-imports bench package package-test clean

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

# ---------------------------------------------------------------- installers (packaging/)
# Linux: dist/pennant_<version>_<arch>.deb and the portable dist/pennant-<version>-linux-<machine>.tar.gz.
# Needs the Debian packages in packaging/linux/build-packages (.ci/run installs them).
PACKAGE_STAMP := $(VENV)/.packaging
PACKAGE_TEST_MODE ?= chroot

$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,package]'
	@touch $@

package: $(PACKAGE_STAMP)
	$(PY) packaging/icons.py
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/pennant.spec
	$(PY) packaging/linux/build_deb.py

# Installs the .deb into a fresh Debian root (debootstrap), runs it, upgrades it, removes it.
# PACKAGE_TEST_MODE=host installs into this machine instead, for throw-away CI containers that
# cannot chroot; it also needs PENNANT_PACKAGE_TEST_HOST=1 in the environment.
package-test: package
	$(PY) packaging/linux/package_test.py --mode $(PACKAGE_TEST_MODE) \
		dist/pennant_$$($(PY) packaging/meta.py version)_$$(dpkg --print-architecture).deb \
		dist/pennant-$$($(PY) packaging/meta.py version)-linux-$$(uname -m).tar.gz

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
