#!/usr/bin/env bash
# Build dist/mailgui.app (PyInstaller's BUNDLE step in packaging/mailgui.spec: identifier,
# version, .icns icon, NSHighResolutionCapable) and pack it into dist/mailgui-<version>.dmg.
#
#   PYTHON=.venv/bin/python packaging/macos/build-dmg.sh
#
# macOS only (hdiutil). The app is ad-hoc signed by PyInstaller; notarization is not done here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"

PYTHON="$PYTHON" packaging/build-bundle.sh
APP="dist/mailgui.app"
[ -d "$APP" ] || { echo "build-dmg: $APP was not built" >&2; exit 1; }
VERSION="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")"

STAGE="build/dmg"
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"  # drag-to-install target in the opened image
DMG="dist/mailgui-$VERSION.dmg"
rm -f "$DMG"
# hdiutil create now and then fails with "Resource busy" on CI machines (something, often
# Spotlight or XProtect, still holds the fresh files or the temporary image): try again.
tries=5
for try in $(seq 1 "$tries"); do
    if hdiutil create -volname "mailgui $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"; then
        break
    fi
    if [ "$try" -eq "$tries" ]; then
        echo "build-dmg: hdiutil create failed $tries times" >&2
        exit 1
    fi
    echo "build-dmg: hdiutil create failed (try $try of $tries), again in $((try * 5)) s" >&2
    rm -f "$DMG"
    sleep $((try * 5))
done
echo "dmg: $DMG $(du -m "$DMG" | cut -f1) MB"
