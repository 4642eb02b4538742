#!/usr/bin/env bash
# Installs what is needed, then runs the whole default test suite (slow soak and bundle runs are
# excluded; run them with `scripts/test.sh -m slow` or `-m bundle`). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check seller_studio tests
# The layers as import contracts (pyproject.toml [tool.importlinter]): no Qt below ui/, media /
# platform / show independent, cli and ui on top. PYTHONPATH: check this tree, not another checkout.
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/lint-imports --no-cache
# No single file may pass 2 GB: a runaway (say, a C library spewing to a captured stderr) then stops
# with an error instead of filling the disk.
ulimit -f 2097152
# Qt tests need a display: run the suite inside a private Xvfb.
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest "$@"
