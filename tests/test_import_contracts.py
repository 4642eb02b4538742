"""The layers in pyproject.toml [tool.importlinter] hold (scripts/test.sh runs lint-imports too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "No Qt below ui/" in result.stdout


def test_the_moved_modules_answer_to_their_old_ui_names_too():
    import seller_studio.studio.assembly as assembly
    import seller_studio.studio.sandbox_process as sandbox_process
    import seller_studio.studio.settings as settings
    import seller_studio.ui.sandbox_process as old_sandbox_process
    import seller_studio.ui.settings as old_settings
    import seller_studio.ui.studio_setup as old_studio_setup

    assert old_settings is settings and old_studio_setup is assembly and old_sandbox_process is sandbox_process
