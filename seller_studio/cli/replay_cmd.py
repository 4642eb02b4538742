"""`seller-studio replay FILE.zip`: open a support bundle's session on a timeline (chat, items,
auctions, scenes) next to its stream plots, with a scrubber and speed control."""

from __future__ import annotations

import argparse
from pathlib import Path

from seller_studio.diagnostics.replay import Replay


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="replay a support bundle's session in a window")
    p.add_argument("bundle", metavar="FILE.zip", help="a support bundle (or a bare journal .jsonl)")
    p.add_argument("--journal", metavar="NAME", help="which journal in the bundle (default: the longest)")
    p.add_argument("--speed", type=float, default=1.0, help="start at this speed (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    replay = Replay.from_bundle(Path(args.bundle), args.journal)  # a bad bundle is one line before Qt starts
    from seller_studio.ui.replay.window import run_replay_window

    return run_replay_window(replay, title=Path(args.bundle).name, speed=args.speed)
