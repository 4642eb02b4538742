"""Adaptive bitrate on a tc-capped uplink (issue 20 item 2), on demand: `scripts/test.sh -m slow -k adaptive -s`.

Runs benchmarks/adaptive_bitrate.py (a 2500 kbps 720p30 stream, the uplink capped at 800 and at
400 kbit/s from 3 s to 40 s, in a private network namespace) and checks the goals: after the first
10 s < 2 % of frames dropped at 800 kbit/s and < 5 % at 400 kbit/s; back to 2500 kbps within 30 s of
the cap lifting. Prints the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "adaptive_bitrate.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("tc") is None,
                                 reason="the capped uplink needs root, unshare and tc (CI has them)")]


def test_adaptive_bitrate_goals_on_800_and_400_kbps():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--link", "tc", "--rates", "800,400", "--json"],
                          capture_output=True, text=True, timeout=580)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["rate_kbps"]: r for r in map(json.loads, proc.stdout.strip().splitlines())}
    for rate, goal_pct in ((800.0, 2.0), (400.0, 5.0)):
        r = results[rate]
        print(f"\n{rate:g} kbit/s: {r['dropped']}/{r['frames_encoded']} frames dropped after 10 s "
              f"({r['dropped_pct']}%), {r['fps_sent']} fps sent, plan {r['plan_at_end_of_cap']}, "
              f"back to 2500 kbps {r['recovered_after_s']} s after the cap lifted")
        assert r["dropped_pct"] < goal_pct
        assert r["recovered_after_s"] is not None and r["recovered_after_s"] < 30
