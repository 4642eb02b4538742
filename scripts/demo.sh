#!/usr/bin/env bash
# Installs what is needed, then starts the demo: the studio against the embedded sandbox platform.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/seller-studio --demo "$@"
