"""`seller-studio` entry point.

Each subcommand lives in its own module in this package and exposes ``register(subparsers)``,
which adds a parser whose ``func(args) -> int`` runs it. User-fixable failures raise
``UserError`` and end as one line on stderr with a distinct exit code; never a traceback.

Start-up is cheap: ``--version`` imports nothing of the studio, and a command line naming one
subcommand imports only that subcommand's module (``--help`` without one imports them all).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import threading

from seller_studio import __version__
from seller_studio.cli.studio_cmd import add_demo_ingest_argument, add_simulate_argument
from seller_studio.common.errors import ExitCode, UserError
from seller_studio.i18n import set_language, tr, tr_text

# Subcommand modules, in the order `--help` lists them.
COMMAND_MODULES: list[str] = [
    "seller_studio.cli.sandbox_cmd",
    "seller_studio.cli.stream_cmd",
    "seller_studio.cli.devices_cmd",
    "seller_studio.cli.bench_cmd",
    "seller_studio.cli.inventory_cmd",
    "seller_studio.cli.studio_cmd",
    "seller_studio.cli.doctor_cmd",
    "seller_studio.cli.bundle_cmd",
    "seller_studio.cli.replay_cmd",
    "seller_studio.cli.break_cmd",
    "seller_studio.cli.reproduce_cmd",
    "seller_studio.cli.clips_cmd",
]


# The name each module registers, so a command line naming one needs no other module imported.
COMMAND_NAMES: dict[str, str] = {
    "sandbox": "seller_studio.cli.sandbox_cmd",
    "stream": "seller_studio.cli.stream_cmd",
    "devices": "seller_studio.cli.devices_cmd",
    "bench": "seller_studio.cli.bench_cmd",
    "inventory": "seller_studio.cli.inventory_cmd",
    "studio": "seller_studio.cli.studio_cmd",
    "doctor": "seller_studio.cli.doctor_cmd",
    "support-bundle": "seller_studio.cli.bundle_cmd",
    "replay": "seller_studio.cli.replay_cmd",
    "break": "seller_studio.cli.break_cmd",
    "reproduce": "seller_studio.cli.reproduce_cmd",
    "clips": "seller_studio.cli.clips_cmd",
}


def command_named(argv: list[str]) -> str | None:
    """The subcommand a command line names (None: none, or only options)."""
    return next((arg for arg in argv if arg in COMMAND_NAMES), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` that names a subcommand, with only that subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="seller-studio",
        description="Seller Studio: go live, run the show, sell.",
    )
    parser.add_argument("--version", action="version", version=f"seller-studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    parser.add_argument("--demo", action="store_true",
                        help="open the studio window against the built-in sandbox platform")
    add_simulate_argument(parser)
    add_demo_ingest_argument(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = command_named(argv) if argv is not None else None
    for name in [COMMAND_NAMES[command]] if command is not None else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:  # answered before anything else is imported
        print(f"seller-studio {__version__}")
        return 0
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    set_language()  # the system's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); the window may switch to the profile's
    from seller_studio.diagnostics.logsetup import setup_logging

    # Per-session JSON log in log_dir(), redaction on every handler, crash reports (diagnostics/).
    setup_logging(verbose=args.verbose, command=args.command)
    func = getattr(args, "func", None)
    if func is None and (args.demo or args.simulate):
        from seller_studio.cli.studio_cmd import run as run_studio_window

        func = run_studio_window
    if func is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(func(args) or 0)
    except UserError as err:
        # Made in English in the core (and logged so); printed in the seller's language.
        print(f"seller-studio: {tr('error')}: {tr_text(str(err))}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print(f"seller-studio: {tr('interrupted')}", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


def entry(argv: list[str] | None = None) -> None:
    """The console script and ``python -m seller_studio``: run, then exit with main's code.

    A stop that abandoned a stuck media thread (an encoder still inside libx264 on a starved machine,
    an output inside a socket call) leaves it running; interpreter shutdown then tears down under it
    and can abort the process (SIGABRT seen once at load 8.5), turning a clean exit into a crash.
    Everything is saved and closed by then, so the process leaves at once instead.
    """
    code = main(argv)
    abandoned = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    if not abandoned:
        sys.exit(code)
    logging.getLogger(__name__).debug("exiting past %d thread(s) still running: %s", len(abandoned),
                                      ", ".join(abandoned[:8]))
    if "seller_studio.diagnostics.logsetup" in sys.modules:  # atexit does not run after os._exit
        from seller_studio.diagnostics.logsetup import finish_session

        finish_session()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
