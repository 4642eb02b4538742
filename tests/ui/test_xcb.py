"""The window's go-live test on the real X11 platform plugin (xcb) under Xvfb.

In-process widget tests share one QApplication on the offscreen plugin (tests/conftest.py); this
runs the go-live test again in a child pytest on xcb, the plugin a Linux seller's desktop uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GO_LIVE_TEST = "tests/ui/test_live.py::test_go_live_on_the_sandbox_then_end_the_show"


@pytest.mark.timeout(300)
def test_go_live_runs_on_xcb_under_xvfb() -> None:
    if not os.environ.get("DISPLAY"):
        pytest.fail("no X display: run the suite through scripts/test.sh, which starts Xvfb")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "SELLER_STUDIO_EXPECT_QPA": "xcb"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", GO_LIVE_TEST],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "window test on the Qt platform plugin xcb" in out  # checked by tests/ui/conftest.make_window
    assert "1 passed" in out
