#!/usr/bin/env bash
# Sign Pennant.app for distribution outside the Mac App Store: Developer ID, hardened runtime,
# secure timestamp, inside-out (every nested Mach-O first, then the QtWebEngineProcess helper and
# the frameworks, deepest first, then the app). Also signs the disk image that make-dmg.sh builds,
# so that the certificate is handled in one place. Run from anywhere; usage:
#
#   packaging/macos/sign.sh [dist/Pennant.app]
#   packaging/macos/sign.sh dist/Pennant-<version>-macos-<arch>.dmg
#
# Environment (secrets come only from here, e.g. GitHub secrets in the release workflow):
#   MACOS_SIGN_IDENTITY     the signing identity: "Developer ID Application: NAME (TEAMID)" or its
#                           SHA-1 hash. Unset: signing is skipped (exit 0) and the app keeps the
#                           ad-hoc signature PyInstaller gave it, which runs on the Mac that built
#                           it but which Gatekeeper rejects on others and Apple will not notarize.
#   MACOS_CERT_P12_BASE64   optional: the Developer ID certificate and its private key as a
#   MACOS_CERT_PASSWORD     base64-encoded .p12 and its password. When given, they are imported
#                           into a temporary keychain that is deleted again when this script exits
#                           (CI). When not given, the identity must be in the user's keychains.
#   PYTHON                  optional: python3 used to read plists (build.sh passes its venv's).
#
# Works with macOS's own bash 3.2.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${1:-$ROOT/dist/Pennant.app}"
ENTITLEMENTS="$ROOT/packaging/macos/entitlements.plist"
PYTHON="${PYTHON:-python3}"

die() { echo "sign.sh: $*" >&2; exit 1; }

case "$APP" in
  *.dmg) [ -f "$APP" ] || die "$APP not found" ;;
  *) [ -d "$APP/Contents/MacOS" ] || die "$APP is not an app bundle (build it first: packaging/macos/build.sh)" ;;
esac
[ -f "$ENTITLEMENTS" ] || die "missing $ENTITLEMENTS"

if [ -z "${MACOS_SIGN_IDENTITY:-}" ]; then
  echo "sign.sh: MACOS_SIGN_IDENTITY is not set: skipping code signing of $APP."
  case "$APP" in
    *.dmg) echo "sign.sh: the disk image stays unsigned." ;;
    *)
      echo "sign.sh: the app stays ad-hoc signed (PyInstaller's signature): it cannot be notarized"
      echo "sign.sh: and Gatekeeper will refuse to open it on other Macs without the user's override."
      ;;
  esac
  exit 0
fi

for tool in codesign security spctl file xattr; do
  command -v "$tool" >/dev/null || die "$tool not found (macOS with the Xcode command-line tools is required)"
done
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON to a python3)"

# ----------------------------------------------------------------------------- keychain
KEYCHAIN=""
WORK="$(mktemp -d)"
ORIGINAL_KEYCHAINS=()
ORIGINAL_KEYCHAIN_COUNT=0

cleanup() {
  if [ -n "$KEYCHAIN" ]; then
    if [ "$ORIGINAL_KEYCHAIN_COUNT" -gt 0 ]; then
      security list-keychains -d user -s "${ORIGINAL_KEYCHAINS[@]}" || true
    fi
    security delete-keychain "$KEYCHAIN" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${MACOS_CERT_P12_BASE64:-}" ]; then
  [ -n "${MACOS_CERT_PASSWORD:-}" ] || die "MACOS_CERT_P12_BASE64 is set but MACOS_CERT_PASSWORD is not"
  KEYCHAIN="$WORK/pennant-signing.keychain-db"
  KEYCHAIN_PASSWORD="$(uuidgen)"
  # the user's keychain search list, to restore at exit
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line#\"}"
    line="${line%\"}"
    if [ -n "$line" ]; then
      ORIGINAL_KEYCHAINS+=("$line")
      ORIGINAL_KEYCHAIN_COUNT=$((ORIGINAL_KEYCHAIN_COUNT + 1))
    fi
  done < <(security list-keychains -d user)

  printf '%s' "$MACOS_CERT_P12_BASE64" | base64 --decode > "$WORK/certificate.p12"
  security create-keychain -p "$KEYCHAIN_PASSWORD" "$KEYCHAIN"
  # lock after 6 h of inactivity, not on sleep: long enough for any build
  security set-keychain-settings -lut 21600 "$KEYCHAIN"
  security unlock-keychain -p "$KEYCHAIN_PASSWORD" "$KEYCHAIN"
  security import "$WORK/certificate.p12" -k "$KEYCHAIN" -f pkcs12 -P "$MACOS_CERT_PASSWORD" \
    -T /usr/bin/codesign -T /usr/bin/security >/dev/null
  rm -f "$WORK/certificate.p12"
  # let codesign use the private key without a confirmation dialog
  security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$KEYCHAIN_PASSWORD" "$KEYCHAIN" >/dev/null
  security list-keychains -d user -s "$KEYCHAIN" ${ORIGINAL_KEYCHAINS[@]+"${ORIGINAL_KEYCHAINS[@]}"}
  echo "sign.sh: certificate imported into a temporary keychain"
fi

if [ -n "$KEYCHAIN" ]; then
  identities="$(security find-identity -v -p codesigning "$KEYCHAIN")"
else
  identities="$(security find-identity -v -p codesigning)"
fi
printf '%s\n' "$identities" | grep -Fq -- "$MACOS_SIGN_IDENTITY" \
  || die "no valid code-signing identity matching MACOS_SIGN_IDENTITY was found in the keychain"

KEYCHAIN_ARGS=()
if [ -n "$KEYCHAIN" ]; then
  KEYCHAIN_ARGS=(--keychain "$KEYCHAIN")
fi

# codesign with hardened runtime and a secure timestamp (both required for notarization)
sign() {
  codesign --force --timestamp --options runtime --sign "$MACOS_SIGN_IDENTITY" \
    ${KEYCHAIN_ARGS[@]+"${KEYCHAIN_ARGS[@]}"} "$@"
}

# lists paths, deepest first (inner code must be signed before what contains it)
deepest_first() {
  awk -F/ '{ print NF "\t" $0 }' | sort -rn -k1,1 | cut -f2-
}

# ----------------------------------------------------------------------------- disk image
# A disk image carries no entitlements and no hardened-runtime flag: a Developer ID signature
# with a secure timestamp, checked before it is sent for notarization.
case "$APP" in
  *.dmg)
    echo "sign.sh: signing $APP as \"$MACOS_SIGN_IDENTITY\""
    codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" \
      ${KEYCHAIN_ARGS[@]+"${KEYCHAIN_ARGS[@]}"} "$APP"
    codesign --verify --strict --verbose=2 "$APP"
    echo "sign.sh: done"
    exit 0
    ;;
esac

# ----------------------------------------------------------------------------- helper entitlements
# Qt's notes for deploying Qt WebEngine on macOS: the QtWebEngineProcess helper must be signed
# with at least the entitlements of the QtWebEngineProcess.entitlements file Qt ships inside it.
# Pennant signs the helper with packaging/macos/entitlements.plist; stop if Qt asks for more.
HELPERS="$(find "$APP/Contents" -type d -name 'QtWebEngineProcess.app' | deepest_first)"
[ -n "$HELPERS" ] || die "QtWebEngineProcess.app not found in $APP (was QtWebEngine bundled?)"
while IFS= read -r helper; do
  qt_entitlements="$helper/Contents/Resources/QtWebEngineProcess.entitlements"
  [ -f "$qt_entitlements" ] || { echo "sign.sh: note: $qt_entitlements not shipped; using entitlements.plist"; continue; }
  "$PYTHON" - "$ENTITLEMENTS" "$qt_entitlements" <<'PY' || die "entitlements.plist lacks what Qt's QtWebEngineProcess.entitlements requires"
import plistlib
import sys

with open(sys.argv[1], "rb") as f:
    ours = plistlib.load(f)
with open(sys.argv[2], "rb") as f:
    qt = plistlib.load(f)
missing = {key: value for key, value in qt.items() if ours.get(key) != value}
for key, value in sorted(missing.items()):
    print(f"sign.sh: Qt requires {key} = {value!r} for QtWebEngineProcess", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
done <<< "$HELPERS"

# ----------------------------------------------------------------------------- sign
echo "sign.sh: signing $APP as \"$MACOS_SIGN_IDENTITY\""
# Finder metadata and extended attributes (quarantine, resource forks) break code signatures
xattr -cr "$APP"

# 1. every Mach-O file (libraries, Python extension modules, Qt plug-ins, executables), without
#    entitlements: libraries inherit those of the process that loads them, and the two
#    executables that need some are signed again with them as their bundles' main executables.
count=0
while IFS= read -r path; do
  case "$(file -b "$path")" in
    *Mach-O*object*) ;;  # relocatable objects cannot carry a signature (none are expected)
    *Mach-O*) sign "$path" >/dev/null; count=$((count + 1)) ;;
  esac
done < <(find "$APP/Contents" -type f ! -path '*/_CodeSignature/*' | deepest_first)
echo "sign.sh: signed $count Mach-O files"

# 2. nested bundles, deepest first: the helper app (with the entitlements, hardened runtime),
#    then each framework (its version directory, as Apple's code-signing guide prescribes).
while IFS= read -r bundle; do
  case "$bundle" in
    *.app)
      if [ "$(basename "$bundle")" = QtWebEngineProcess.app ]; then
        sign --entitlements "$ENTITLEMENTS" "$bundle"
      else
        sign "$bundle"
      fi
      ;;
    *.framework)
      signed_version=no
      if [ -d "$bundle/Versions" ]; then
        while IFS= read -r version; do
          sign "$version"
          signed_version=yes
        done < <(find "$bundle/Versions" -mindepth 1 -maxdepth 1 -type d)
      fi
      if [ "$signed_version" = no ]; then
        sign "$bundle"
      fi
      ;;
  esac
done < <(find "$APP/Contents" -type d \( -name '*.app' -o -name '*.framework' \) | deepest_first)

# 3. the app itself: its executable with the entitlements, and the seal over all resources
sign --entitlements "$ENTITLEMENTS" "$APP"

# ----------------------------------------------------------------------------- verify
echo "sign.sh: verifying"
codesign --verify --deep --strict --verbose=2 "$APP"
codesign --display --entitlements - "$APP" 2>/dev/null || true
while IFS= read -r helper; do
  codesign --verify --strict --verbose=2 "$helper"
  codesign --display --verbose=2 "$helper" 2>&1 | grep -E '^(Identifier|Authority|TeamIdentifier|Runtime Version|Timestamp)=' || true
done <<< "$HELPERS"
# Gatekeeper's verdict. Before notarization a Developer ID app is reported as "rejected
# (Unnotarized Developer ID)", which is expected here: make-dmg.sh notarizes and checks again.
if spctl -a -vv --type execute "$APP"; then
  echo "sign.sh: Gatekeeper accepts $APP"
else
  echo "sign.sh: Gatekeeper does not accept $APP yet (expected until it is notarized, see make-dmg.sh)"
fi
echo "sign.sh: done"
