"""`seller-studio sandbox`: run the sandbox live-shopping platform on this machine."""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.diagnostics.faults import PLATFORM_FAULTS, parse_simulate
from seller_studio.diagnostics.redact import register_secret
from seller_studio.i18n import tr_noop
from seller_studio.platform import rules
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig

log = logging.getLogger(__name__)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100_000:
        raise argparse.ArgumentTypeError("rates are per minute, from 0 to 100000")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("ports are 0-65535 (0 picks a free one)")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the sandbox platform (protocol server, simulated viewers, RTMP and WHIP ingest)",
        description="Run the sandbox live-shopping platform on this machine: the protocol v1 server, "
                    "simulated viewers, an RTMP ingest and a WHIP (WebRTC) ingest. Prints the URLs, stream key and token to use.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8765, help="websocket port (default: 8765; 0: any free)")
    parser.add_argument("--rtmp-port", type=_port, default=1935, help="RTMP ingest port (default: 1935; 0: any free)")
    parser.add_argument("--whip-port", type=_port, default=8181,
                        help="WHIP (WebRTC) ingest port (default: 8181; 0: any free)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed repeats the same viewers")
    parser.add_argument("--chat-rate", type=_rate, default=20.0, metavar="PER_MIN", help="viewer chat messages per minute")
    parser.add_argument("--bid-rate", type=_rate, default=12.0, metavar="PER_MIN", help="bids per minute while an auction runs")
    parser.add_argument("--buy-rate", type=_rate, default=4.0, metavar="PER_MIN", help="buy-now purchases per minute")
    parser.add_argument("--entry-rate", type=_rate, default=30.0, metavar="PER_MIN", help="giveaway entries per minute")
    parser.add_argument("--currency", type=_currency, default="USD", metavar="CODE",
                        help="the show's currency until a show.start names one: "
                             f"{', '.join(rules.CURRENCIES)} (default: USD)")
    parser.add_argument("--token", help="platform token clients must send (default: a new random one)")
    parser.add_argument("--stream-key", help="RTMP stream key (default: a new random one)")
    parser.add_argument("--simulate", metavar="SPEC",
                        help="platform faults, e.g. disconnect@30s,delayed-acks@60s:1500ms:20s")
    parser.add_argument("--journal", metavar="FILE.jsonl", help="record injected faults in this journal")
    # The studio window's --simulate drives platform faults over stdin (times count from its Go Live).
    parser.add_argument("--fault-control", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def _currency(text: str) -> str:
    code = text.strip().upper()
    if rules.currency_error(code) is not None:
        raise argparse.ArgumentTypeError(f"unknown currency {text!r}: use one of {', '.join(rules.CURRENCIES)}")
    return code


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    config = SandboxConfig(host=args.host, port=args.port, token=args.token, seed=args.seed,
                           chat_per_min=args.chat_rate, bid_per_min=args.bid_rate, buy_per_min=args.buy_rate,
                           entry_per_min=args.entry_rate, currency=args.currency)
    faults = parse_simulate(args.simulate, PLATFORM_FAULTS) if args.simulate else []
    try:
        sandbox = start_sandbox(config, rtmp_port=args.rtmp_port, stream_key=args.stream_key,
                                whip_port=getattr(args, "whip_port", 0))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(tr_noop("a port is already in use; pick others with --port / --rtmp-port / --whip-port (0 picks a free one)"),
                            ExitCode.UNREACHABLE_HOST) from None
        raise UserError(tr_noop('cannot listen on {host}: {value}').format(host=args.host, value=exc.strerror or exc), ExitCode.UNREACHABLE_HOST) from None
    register_secret(sandbox.stream_key, sandbox.token)
    # The seller needs these to connect; printed to their terminal only, never logged.
    print("Sandbox platform running. Use these in the studio:", flush=True)
    print(f"  Ingest URL:    {sandbox.ingest_url}")
    print(f"  Stream key:    {sandbox.stream_key}")
    print(f"  WHIP URL:      {sandbox.whip_url or '(none: aiortc is not installed)'}")
    print(f"  Platform URL:  {sandbox.ws_url}")
    print(f"  Token:         {sandbox.token}")
    print("Press Ctrl-C to stop.", flush=True)
    schedule = journal = None
    try:
        if faults:
            from seller_studio.diagnostics.faults import FaultSchedule, platform_appliers
            from seller_studio.diagnostics.journal import Journal, default_journal_path

            journal = Journal(Path(args.journal) if args.journal else default_journal_path(), command="sandbox")
            schedule = FaultSchedule(faults, platform_appliers(sandbox), journal)
            schedule.start()
        if args.fault_control:
            threading.Thread(target=serve_fault_control, args=(sys.stdin, sandbox), name="fault-control",
                             daemon=True).start()
        if stop is None:
            stop = threading.Event()
            if threading.current_thread() is threading.main_thread():
                # SIGTERM (the studio quitting, a service manager) ends it like Ctrl-C: cleanly.
                signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        while not stop.wait(0.5):
            pass
    finally:
        if schedule is not None:
            schedule.stop()
        if journal is not None:
            journal.close()
        sandbox.stop()
    return 0


def serve_fault_control(lines: Any, sandbox: Any) -> None:
    """Platform faults commanded by the window (``disconnect``, ``ack-delay-ms N``), one per line.
    A line that is not understood is logged and ignored: the platform keeps running."""
    from seller_studio.diagnostics.faults import Fault, platform_appliers

    appliers = platform_appliers(sandbox)
    for line in lines:
        command, _, value = line.strip().partition(" ")
        try:
            if command == "disconnect":
                appliers["disconnect"][0](Fault("disconnect", 0.0))
            elif command == "ack-delay-ms":
                appliers["delayed-acks"][0](Fault("delayed-acks", 0.0, delay_ms=float(value)))
            elif command:
                log.warning("fault control: unknown command %r", command)
        except Exception:
            log.exception("fault control: %r failed", command)
