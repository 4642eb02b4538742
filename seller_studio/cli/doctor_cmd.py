"""`seller-studio doctor`: check cameras, audio, encoders, keyring, disk and the ingest; say how to fix."""

from __future__ import annotations

import argparse
import json

from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.doctor import FAIL, report_json, run_doctor


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check this computer is ready to go live, with the fix for each problem")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--url", help="ingest URL to test (default: the one in the active settings profile)")
    p.add_argument("--bitrate", type=int, metavar="KBPS", help="video bitrate to judge the upload against")
    p.add_argument("--probe-seconds", type=float, default=2.0, metavar="S", help="upload probe length (default 2)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checks = run_doctor(args.url, args.bitrate, probe_s=max(0.2, min(args.probe_seconds, 10.0)))
    if args.json:
        print(json.dumps(report_json(checks), indent=2, default=str))
    else:
        for check in checks:
            print(check.shown_line())  # English in --json and in bundles
    # Failures get their own exit code so scripts can tell "not ready" from "doctor broke".
    return int(ExitCode.DOCTOR_FOUND_FAILURES) if any(c.status == FAIL for c in checks) else 0
