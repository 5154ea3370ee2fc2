#!/usr/bin/env bash
# Build the macOS disk image dist/Pennant-<version>-macos-<arch>.dmg from dist/Pennant.app (a
# window with the app and a link to /Applications to drag it onto), sign it, and notarize and
# staple it when Apple credentials are given. Usage:
#
#   packaging/macos/make-dmg.sh [dist/Pennant.app]
#
# Environment (secrets come only from here, e.g. GitHub secrets in the release workflow):
#   MACOS_SIGN_IDENTITY, MACOS_CERT_P12_BASE64, MACOS_CERT_PASSWORD
#       signing of the image, through sign.sh (see there). Unset: the image stays unsigned.
#   Notarization, with either an App Store Connect API key (preferred)
#       APPLE_API_KEY_ID, APPLE_API_ISSUER_ID, APPLE_API_KEY_P8_BASE64 (the .p8 file, base64)
#   or an Apple ID with an app-specific password
#       APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#       Unset: notarization is skipped and the script says why. Notarization needs a signed app
#       and image, so giving these without MACOS_SIGN_IDENTITY is an error.
#   DMG_FORMAT   optional: hdiutil image format, ULFO (LZFSE, the default) or UDZO (zlib)
#   PYTHON       optional: python3 used to read notarytool's JSON answers
#
# Works with macOS's own bash 3.2.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${1:-$ROOT/dist/Pennant.app}"
FORMAT="${DMG_FORMAT:-ULFO}"
PYTHON="${PYTHON:-python3}"

die() { echo "make-dmg.sh: $*" >&2; exit 1; }

[ -d "$APP/Contents/MacOS" ] || die "$APP is not an app bundle (build it first: packaging/macos/build.sh)"
for tool in hdiutil ditto lipo codesign xcrun /usr/libexec/PlistBuddy; do
  command -v "$tool" >/dev/null || die "$tool not found (macOS with the Xcode command-line tools is required)"
done
case "$FORMAT" in
  ULFO | UDZO) ;;
  *) die "DMG_FORMAT must be ULFO or UDZO, not $FORMAT" ;;
esac

# The version the app was built with (the spec writes pyproject's version into Info.plist) and
# the architectures of its executable: arm64, x86_64, or universal for both.
VERSION="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")"
EXECUTABLE="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleExecutable' "$APP/Contents/Info.plist")"
ARCHS="$(lipo -archs "$APP/Contents/MacOS/$EXECUTABLE")"
case "$ARCHS" in
  *" "*) ARCH=universal ;;
  *) ARCH="$ARCHS" ;;
esac
DMG="$ROOT/dist/Pennant-$VERSION-macos-$ARCH.dmg"
VOLUME="Pennant $VERSION"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ----------------------------------------------------------------------------- image
echo "make-dmg.sh: building $DMG ($FORMAT)"
STAGE="$WORK/stage"
mkdir -p "$STAGE"
# ditto keeps the bundle's symlinks, permissions and code signatures intact
ditto "$APP" "$STAGE/$(basename "$APP")"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
# hdiutil now and then fails with "Resource busy" on CI machines; try a few times
attempt=1
until hdiutil create -volname "$VOLUME" -srcfolder "$STAGE" -fs HFS+ -format "$FORMAT" -ov "$DMG"; do
  [ "$attempt" -lt 3 ] || die "hdiutil create failed $attempt times"
  attempt=$((attempt + 1))
  echo "make-dmg.sh: hdiutil create failed, trying again ($attempt/3)"
  sleep 5
done
hdiutil verify "$DMG"

# ----------------------------------------------------------------------------- signing
"$ROOT/packaging/macos/sign.sh" "$DMG"

# ----------------------------------------------------------------------------- notarization
NOTARY_ARGS=()
if [ -n "${APPLE_API_KEY_ID:-}" ] && [ -n "${APPLE_API_ISSUER_ID:-}" ] && [ -n "${APPLE_API_KEY_P8_BASE64:-}" ]; then
  KEY_FILE="$WORK/AuthKey_$APPLE_API_KEY_ID.p8"
  printf '%s' "$APPLE_API_KEY_P8_BASE64" | base64 --decode > "$KEY_FILE"
  NOTARY_ARGS=(--key "$KEY_FILE" --key-id "$APPLE_API_KEY_ID" --issuer "$APPLE_API_ISSUER_ID")
  NOTARY_WITH="the App Store Connect API key $APPLE_API_KEY_ID"
elif [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  NOTARY_ARGS=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
  NOTARY_WITH="the Apple ID $APPLE_ID (team $APPLE_TEAM_ID)"
else
  echo "make-dmg.sh: notarization skipped: neither APPLE_API_KEY_ID + APPLE_API_ISSUER_ID +"
  echo "make-dmg.sh: APPLE_API_KEY_P8_BASE64 nor APPLE_ID + APPLE_TEAM_ID + APPLE_APP_PASSWORD are set."
  echo "make-dmg.sh: Without notarization Gatekeeper blocks the app on other Macs until the user"
  echo "make-dmg.sh: allows it in System Settings > Privacy & Security."
fi

if [ -n "${NOTARY_WITH:-}" ]; then
  [ -n "${MACOS_SIGN_IDENTITY:-}" ] \
    || die "Apple notarization credentials are set but MACOS_SIGN_IDENTITY is not: Apple notarizes only signed code"
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON to a python3)"
  echo "make-dmg.sh: submitting $DMG for notarization with $NOTARY_WITH (this can take minutes)"
  # notarytool's exit status alone does not say whether Apple accepted the upload: read its answer
  xcrun notarytool submit "$DMG" "${NOTARY_ARGS[@]}" --wait --timeout 2h --output-format json \
    > "$WORK/submit.json" || true
  cat "$WORK/submit.json"
  SUBMISSION="$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("id", ""))' "$WORK/submit.json" 2>/dev/null || true)"
  STATUS="$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("status", ""))' "$WORK/submit.json" 2>/dev/null || true)"
  if [ "$STATUS" != Accepted ]; then
    echo "make-dmg.sh: notarization status: ${STATUS:-unknown} (submission ${SUBMISSION:-none})" >&2
    if [ -n "$SUBMISSION" ]; then
      xcrun notarytool log "$SUBMISSION" "${NOTARY_ARGS[@]}" >&2 || true
    fi
    die "Apple did not accept $DMG for notarization"
  fi
  echo "make-dmg.sh: notarization accepted (submission $SUBMISSION)"
  # Apple's log lists warnings even for accepted submissions
  xcrun notarytool log "$SUBMISSION" "${NOTARY_ARGS[@]}" || true

  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
  spctl -a -vv --type open --context context:primary-signature "$DMG"
  echo "make-dmg.sh: $DMG is notarized and stapled"
fi

echo "make-dmg.sh: $DMG ($(du -h "$DMG" | cut -f1))"
