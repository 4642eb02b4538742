#!/usr/bin/env bash
# Builds "dist/Seller Studio.app" and a .dmg on macOS (run from anywhere; needs Python 3.11+ from
# python.org, which is a universal2 framework build PyInstaller supports).
# Signing and notarization (for other Macs): set CODESIGN_IDENTITY to a "Developer ID Application"
# identity; the spec's entitlements (installers/macos/entitlements.plist) grant camera and microphone.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x build/bundle-venv/bin/python ] || python3 -m venv build/bundle-venv
build/bundle-venv/bin/python -m pip install -q --upgrade pip
build/bundle-venv/bin/python -m pip install -q -r installers/requirements.txt .
build/bundle-venv/bin/python -m pip install -q --no-deps --force-reinstall .
[ -f resources/icons/seller-studio.icns ] || build/bundle-venv/bin/python resources/make_icons.py
build/bundle-venv/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller installers/pyinstaller/seller_studio.spec
VERSION=$(build/bundle-venv/bin/python -c 'from importlib.metadata import version; print(version("seller-studio"))')
APP="dist/Seller Studio.app"
"$APP/Contents/MacOS/SellerStudio" --version
/usr/libexec/PlistBuddy -c "Print :NSCameraUsageDescription" "$APP/Contents/Info.plist"
/usr/libexec/PlistBuddy -c "Print :NSMicrophoneUsageDescription" "$APP/Contents/Info.plist"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --entitlements installers/macos/entitlements.plist \
    --sign "$CODESIGN_IDENTITY" "$APP"
fi
hdiutil create -volname "Seller Studio" -srcfolder "$APP" -ov -format UDZO "dist/SellerStudio-$VERSION-macos.dmg"
