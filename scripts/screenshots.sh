#!/usr/bin/env bash
# Screenshots of the studio window in demo mode, live, in a real X window under a private Xvfb.
# Output: resources/screenshots/*.png (committed; the README shows studio-live.png).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 ${SCREEN:-1600x900x24}" .venv/bin/python scripts/screenshots.py "$@"
