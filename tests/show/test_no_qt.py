"""The show core never imports Qt (the UI wraps it; a headless run must work)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import seller_studio.show

SHOW_DIR = Path(seller_studio.show.__file__).parent


def test_no_qt_import_in_show_sources() -> None:
    for path in SHOW_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("PySide6", "PyQt5", "PyQt6", "qtpy", "qasync"), (path, name)
                assert not name.startswith("seller_studio.ui"), (path, name)


def test_importing_show_loads_no_qt() -> None:
    code = (
        "import sys\n"
        "import seller_studio.show.inventory, seller_studio.show.csv_import, seller_studio.show.sales_export\n"
        "import seller_studio.show.run_of_show, seller_studio.show.selling\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
