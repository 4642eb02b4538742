"""Screenshot of a reproduction's comparison in the replay window (issue 21): run under Xvfb.

    xvfb-run -a .venv/bin/python scripts/reproduce_screenshot.py ORIGINAL(.zip|.jsonl) REPRODUCED.jsonl [OUT.png]

ORIGINAL is the seller's bundle (or journal), REPRODUCED the journal `seller-studio reproduce
--journal-out` wrote. Output: resources/screenshots/reproduce-compare.png by default.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from seller_studio.diagnostics.journal import read_journal
    from seller_studio.diagnostics.repro_compare import compare, report_text
    from seller_studio.diagnostics.reproduce import load_session
    from seller_studio.ui.replay.compare_view import ComparisonWindow

    original, reproduced = Path(sys.argv[1]), Path(sys.argv[2])
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else ROOT / "resources" / "screenshots" / "reproduce-compare.png"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    session = load_session(original)
    comparison = compare(session.entries, read_journal(reproduced.read_text(encoding="utf-8")))
    window = ComparisonWindow(comparison, report_text(comparison, session.name), session.name)
    window.show()
    for _ in range(20):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(out)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
