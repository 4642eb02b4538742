#!/usr/bin/env bash
# Mutation testing of the rule modules (drop policy, backoff, auction rules, CSV safety, redaction, ...):
# mutmut makes one small change at a time to the modules listed in pyproject.toml [tool.mutmut] and runs
# the unit tests that cover the changed function; a change no test notices "survived". Prints the score
# per module (goal: 90 % killed). Slow and not part of the default test run.
#
#   scripts/mutation.sh                 # all rule modules
#   scripts/mutation.sh 'seller_studio.common.backoff*'   # one module (mutmut's name globs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
.venv/bin/python -m pip install -q 'mutmut>=3.3,<4'
mkdir -p build
rm -rf mutants  # a fresh copy of the code under test, every time
# mutmut imports the package from its mutants/ copy: the editable install's path must not win.
PYTHONPATH= .venv/bin/mutmut run --max-children "$(nproc)" "$@" > build/mutation.log 2>&1 \
  || { tail -20 build/mutation.log; exit 1; }
PYTHONPATH= .venv/bin/mutmut results --all true > build/mutation-results.txt
.venv/bin/python scripts/mutation_report.py build/mutation-results.txt
