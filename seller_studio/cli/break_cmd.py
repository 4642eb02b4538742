"""`seller-studio break verify SEED BUYERS...`: recompute a break's random-team draw from the
revealed seed and the buyer list posted before it, and check both against what was posted
(docs/breaks.md has the algorithm and a plain-Python snippet that gives the same answer)."""

from __future__ import annotations

import argparse
import json

from seller_studio.cli.inventory_cmd import printable
from seller_studio.common.errors import ExitCode, UserError
from seller_studio.show.break_draw import DrawError, teams_from_spec, verify


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("break", help="check a break's draw")
    sub = parser.add_subparsers(dest="break_command", metavar="ACTION", required=True)
    p_verify = sub.add_parser(
        "verify", help="recompute a random-team draw from its revealed seed and the buyers in order",
        description="Recompute a break's draw. BUYERS are the buyer names in the order posted before "
                    "the draw (a buyer with two spots appears twice).")
    p_verify.add_argument("seed", metavar="SEED", help="the seed revealed after the draw")
    p_verify.add_argument("buyers", metavar="BUYERS", nargs="+", help="buyer names, in the posted order")
    p_verify.add_argument("--teams", default="mlb", metavar="SPEC",
                          help="mlb (default), nba, nfl, a number N (Spot 1..N) or a comma-separated list, "
                               "in the break's listed order")
    p_verify.add_argument("--commitment", metavar="HEX", help="the commitment posted before the draw")
    p_verify.add_argument("--seed-hash", metavar="HEX", help="the seed hash posted when the break opened")
    p_verify.add_argument("--json", action="store_true", help="machine-readable output")
    p_verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        teams = teams_from_spec(args.teams)
        checked = verify(args.seed, teams, args.buyers, expected_commitment=args.commitment,
                         expected_seed_hash=args.seed_hash)
    except DrawError as err:
        raise UserError(str(err), ExitCode.BAD_BREAK_INPUT) from None
    result = checked.result
    if args.json:
        print(json.dumps({
            "algorithm": "seller-studio break v1",
            "seed_hash": result.seed_hash,
            "commitment": result.commitment,
            "assignments": [{"position": a.position, "buyer": a.buyer, "team": a.team} for a in result.assignments],
            "unassigned": list(result.unassigned),
            "ok": checked.is_ok,
            "problems": list(checked.problems),
        }, indent=2))
    else:
        print(f"seed hash:  {result.seed_hash}")
        print(f"commitment: {result.commitment}")
        width = max(len(printable(a.buyer)) for a in result.assignments)
        for a in result.assignments:
            print(f"{a.position:>3}  {printable(a.buyer):<{width}}  {printable(a.team)}")
        if result.unassigned:
            print(f"unassigned: {', '.join(printable(t) for t in result.unassigned)}")
        for problem in checked.problems:
            print(f"MISMATCH: {problem}")
        if checked.is_ok and (args.commitment or args.seed_hash):
            checked_what = " and ".join(n for n, v in (("seed hash", args.seed_hash),
                                                      ("commitment", args.commitment)) if v)
            print(f"OK: the {checked_what} match{'es' if ' and ' not in checked_what else ''} what was posted.")
    return int(ExitCode.DRAW_MISMATCH) if not checked.is_ok else 0
