#!/usr/bin/env bash
# Build Pennant's macOS disk image from a clean checkout, on a Mac:
#   1. a virtual environment (build/venv-macos) with Pennant and its "package" extra (PyInstaller,
#      Pillow);
#   2. the icons (packaging/icons.py) and dist/Pennant.app (PyInstaller, packaging/pennant.spec);
#   3. dist/Pennant.app/Contents/MacOS/pennant --selftest (on the desktop); the build stops if it fails;
#   4. packaging/macos/sign.sh (Developer ID + hardened runtime when MACOS_SIGN_IDENTITY is set),
#      and the self-test again on the signed app, which proves the entitlements suffice;
#   5. packaging/macos/make-dmg.sh: dist/Pennant-<version>-macos-<arch>.dmg, signed, and notarized
#      and stapled when Apple credentials are set;
#   6. the sizes of the app and the image.
# The secrets sign.sh and make-dmg.sh read are listed at the top of each.
#
# Needs: macOS 13 or later (what Qt 6.11 supports), the Xcode command-line tools, and Python 3.11
# or newer (python.org or actions/setup-python; set PYTHON=/path/to/python3 to choose one). The
# app is built for the architecture of that Python (arm64 on Apple silicon).
#
# Works with macOS's own bash 3.2.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BASE_PYTHON="${PYTHON:-python3}"
VENV="$ROOT/build/venv-macos"
APP="$ROOT/dist/Pennant.app"

die() { echo "build.sh: $*" >&2; exit 1; }
step() { echo "==> $*"; }

[ "$(uname -s)" = Darwin ] || die "this script builds the macOS app and must run on macOS"
command -v "$BASE_PYTHON" >/dev/null || die "$BASE_PYTHON not found: install Python 3.11 or newer, or set PYTHON"
"$BASE_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required, found " + sys.version)'

step "Python environment ($VENV)"
[ -x "$VENV/bin/python" ] || "$BASE_PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet '.[package]'
VERSION="$("$PY" packaging/meta.py version)"
echo "Pennant $VERSION"

step "Icons (packaging/icons.py)"
QT_QPA_PLATFORM=offscreen "$PY" packaging/icons.py

step "PyInstaller bundle (dist/Pennant.app)"
"$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/pennant.spec
[ -x "$APP/Contents/MacOS/pennant" ] || die "PyInstaller did not produce $APP/Contents/MacOS/pennant"

step "Self-test of the app"
"$APP/Contents/MacOS/pennant" --selftest

step "Code signing"
PYTHON="$PY" packaging/macos/sign.sh "$APP"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  step "Self-test of the signed app (hardened runtime)"
  "$APP/Contents/MacOS/pennant" --selftest
fi

step "Disk image"
PYTHON="$PY" packaging/macos/make-dmg.sh "$APP"

step "Artefacts"
du -sh "$APP"
for dmg in dist/Pennant-"$VERSION"-macos-*.dmg; do
  if [ -f "$dmg" ]; then du -h "$dmg"; fi
done
