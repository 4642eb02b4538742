"""`seller-studio support-bundle --out FILE.zip`: logs, journals, crash reports, redacted settings,
doctor report and system info in one zip for support; no secret in it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seller_studio.diagnostics.bundle import build_bundle
from seller_studio.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("support-bundle", help="collect logs, journals, redacted settings and a doctor report in a zip",
                       description="Write a zip for support. Stream keys, tokens and passwords are removed, "
                                   "also from URLs and error messages; the zip is checked before it is written.")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="where to write the bundle")
    p.add_argument("--add", action="append", default=[], metavar="FILE",
                   help="also include this file (a --journal or --stats file), redacted; repeatable")
    p.add_argument("--no-doctor", action="store_true", help="skip the doctor checks (faster)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = build_bundle(Path(args.out), [Path(p) for p in args.add], doctor=not args.no_doctor)
    print(tr("support bundle: {path} ({files} files, {kb} kB)").format(
        path=result.path, files=len(result.files), kb=f"{result.bytes / 1000:.0f}"), file=sys.stderr)
    return 0
