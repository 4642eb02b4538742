"""`seller-studio replay FILE.zip`: open a support bundle's session on a timeline (chat, items,
auctions, scenes) next to its stream plots, with a scrubber and speed control."""

from __future__ import annotations

import argparse
from pathlib import Path

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.diagnostics.replay import Replay
from seller_studio.i18n import tr_noop


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="replay a support bundle's session in a window")
    p.add_argument("bundle", metavar="FILE.zip", help="a support bundle (or a bare journal .jsonl)")
    p.add_argument("--journal", metavar="NAME", help="which journal in the bundle (default: the longest)")
    p.add_argument("--speed", type=float, default=1.0, help="start at this speed (default 1)")
    p.add_argument("--compare", metavar="REPRODUCED.jsonl",
                   help="show the session beside its reproduction (a journal from `reproduce --journal-out`)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.compare:
        return run_compare(args)
    replay = Replay.from_bundle(Path(args.bundle), args.journal)  # a bad bundle is one line before Qt starts
    from seller_studio.ui.replay.window import run_replay_window

    return run_replay_window(replay, title=Path(args.bundle).name, speed=args.speed)


def run_compare(args: argparse.Namespace) -> int:
    from seller_studio.diagnostics.journal import read_journal
    from seller_studio.diagnostics.repro_compare import compare, report_text
    from seller_studio.diagnostics.reproduce import load_session

    session = load_session(Path(args.bundle), args.journal)
    if not Path(args.compare).is_file():
        raise UserError(tr_noop('{compare}: no such file').format(compare=args.compare), ExitCode.BAD_INPUT_FILE)
    reproduced = read_journal(Path(args.compare).read_text(encoding="utf-8", errors="replace"))
    comparison = compare(session.entries, reproduced)
    text = report_text(comparison, session.name)
    from seller_studio.ui.replay.compare_view import run_comparison_window

    return run_comparison_window(comparison, text, session.name)
