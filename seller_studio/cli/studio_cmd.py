"""`seller-studio studio`: open the studio window (`seller-studio --demo` opens it against the sandbox)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("studio", help="open the studio window",
                       description="Open the studio window with your saved profile.")
    p.add_argument("--demo", action="store_true", help="use the built-in sandbox platform as the destination")
    add_simulate_argument(p)
    add_demo_ingest_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seller_studio.ui.app import run_studio  # Qt is imported only when the window is wanted

    return run_studio(demo=bool(getattr(args, "demo", False)), simulate=getattr(args, "simulate", None),
                      demo_ingest=getattr(args, "demo_ingest", "rtmp"))


def add_demo_ingest_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo-ingest", choices=("rtmp", "whip"), default="rtmp",
                        help="with --demo: send to the sandbox over RTMP (default) or WHIP (WebRTC, sub-second)")


def add_simulate_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--simulate", metavar="SPEC",
                        help="support: re-create a seller's faults in the window, timed from Go Live, e.g. "
                             "camera-lost@30s:10s,net-drop@60s:20s,slow-uplink@90s:1500kbps,mic-lost@120s; "
                             "with --demo also disconnect@T and delayed-acks@T:1500ms[:DUR]")
