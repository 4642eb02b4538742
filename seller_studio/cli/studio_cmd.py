"""`seller-studio studio`: open the studio window (`seller-studio --demo` opens it against the sandbox)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("studio", help="open the studio window",
                       description="Open the studio window with your saved profile.")
    p.add_argument("--demo", action="store_true", help="use the built-in sandbox platform as the destination")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seller_studio.ui.app import run_studio  # Qt is imported only when the window is wanted

    return run_studio(demo=bool(getattr(args, "demo", False)))
