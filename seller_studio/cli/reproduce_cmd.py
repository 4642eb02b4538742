"""`seller-studio reproduce BUNDLE.zip`: the seller's bad night on support's desk, then a comparison.

It derives the plan from the bundle's journal (``diagnostics/reproduce.py``), prints it and its
``--simulate`` spec, then goes live headless with stand-ins (test patterns and a tone at the seller's
delivered sizes, fps and sample rate; the seller's canvas and encoder, and the vertical canvas when
the seller had one, live under a second key when theirs was) to a local nginx-rtmp ingest
(or ``--ingest URL``), through the one assembler and the one fault rig of ``stream`` and the window;
with platform traffic in the journal, the sandbox platform stands in (a child process taking the
platform faults). Its own journal goes to ``--journal-out``; at the end it compares both journals
(``diagnostics/repro_compare.py``) and prints the one-page report. Without ``--headless`` the replay
window then opens with the comparison plotted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from seller_studio.cli.stream_cmd import exit_code_for
from seller_studio.common.errors import ExitCode, UserError
from seller_studio.diagnostics.faults import PLATFORM_FAULTS
from seller_studio.diagnostics.journal import Journal, read_journal
from seller_studio.diagnostics.repro_compare import compare, report_text
from seller_studio.diagnostics.reproduce import (
    PlatformCommand,
    ReproductionPlan,
    derive_plan,
    describe_setup,
    load_session,
)
from seller_studio.diagnostics.studio_faults import StudioFaults
from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import OutputError
from seller_studio.studio import assembly
from seller_studio.studio.destination import destination_for_url
from seller_studio.studio.settings import Profile, VerticalPrefs, VideoPrefs

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="re-create a seller's session from a support bundle and compare",
                       description="Derive the seller's setup and faults from a support bundle's journal, print "
                                   "them as a --simulate spec, run them against a local ingest with stand-ins for "
                                   "the seller's devices, and compare the two journals.")
    p.add_argument("bundle", metavar="BUNDLE.zip", help="a support bundle (or a bare journal .jsonl)")
    p.add_argument("--headless", action="store_true", help="no window: print the report only")
    p.add_argument("--journal-out", metavar="FILE.jsonl", help="the reproduction's journal (default: a temp file)")
    p.add_argument("--speed", type=float, default=1.0, metavar="N",
                   help="run the schedule N times faster (approximate: the studio's own clocks do not speed up)")
    p.add_argument("--journal", metavar="NAME", help="which journal of the bundle (default: the longest live one)")
    p.add_argument("--simulate", metavar="SPEC", help="run this (edited) spec instead of the derived one")
    p.add_argument("--print-only", action="store_true", help="print the plan and its spec, run nothing")
    p.add_argument("--ingest", metavar="URL", help="stream here instead of a local nginx-rtmp (rtmp://...)")
    p.add_argument("--report", metavar="FILE", help="also write the report (text) here")
    p.set_defaults(func=run)


def plan_profile(plan: ReproductionPlan) -> Profile:
    """The plan as a profile for the one assembler: test patterns with the delivered modes, a tone."""
    profile = Profile(name="reproduce")
    profile.video = VideoPrefs(plan.width, plan.height, plan.fps, plan.encoder, plan.bitrate_kbps)
    profile.audio.mic = "tone" if plan.audio is not None else "none"
    profile.sources = [{"id": s.source_id, "kind": "test-pattern", "spec": "", "label": s.source_id,
                        "mode": f"{s.width}x{s.height}@{s.fps:g}"} for s in plan.sources]
    profile.scenes = [{"name": sc["name"], "canvas": sc.get("canvas") or [plan.width, plan.height],
                       "layers": sc.get("layers") or []} for sc in plan.scenes]
    if plan.vertical is not None:  # the seller's second canvas, with the scenes it showed
        v = plan.vertical
        profile.vertical = VerticalPrefs(True, v.width, v.height, v.bitrate_kbps)
        profile.vertical_scenes = [dict(sc) for sc in v.scenes]
    return profile


class PlatformStandIn:
    """The sandbox platform (child process with fault control) and a client on its own asyncio thread."""

    def __init__(self, journal: Journal) -> None:
        from seller_studio.platform.client import PlatformClient
        from seller_studio.studio.sandbox_process import start_sandbox_process

        self.sandbox = start_sandbox_process(fault_control=True, settle_s=0.5)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="reproduce-platform", daemon=True)
        self.thread.start()
        self.client = PlatformClient(self.sandbox.ws_url, self.sandbox.token)
        asyncio.run_coroutine_threadsafe(self.client.connect(), self.loop).result(30)
        asyncio.run_coroutine_threadsafe(self._attach(journal), self.loop).result(10)

    async def _attach(self, journal: Journal) -> None:
        journal.attach_platform(self.client)

    def replay(self, commands: list[PlatformCommand]) -> None:
        """Send the seller's commands again at their times from now (Go Live); answers are journaled."""

        async def send(command: PlatformCommand) -> None:
            try:
                await self.client.command(command.type, command.data)
            except Exception as exc:  # a refused or unanswered command is part of what is reproduced
                log.info("replayed %s: %s", command.type, exc)

        def schedule() -> None:
            for command in commands:
                self.loop.call_later(command.at_s, lambda c=command: self.loop.create_task(send(c)))

        self.loop.call_soon_threadsafe(schedule)

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result(5)
        except Exception as exc:  # closing a dead connection
            log.debug("platform close: %s", exc)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.sandbox.stop()


def run(args: argparse.Namespace) -> int:
    if not args.speed > 0 or args.speed > 16:
        raise UserError(tr_noop("--speed must be more than 0 and at most 16"), ExitCode.USAGE)
    session = load_session(Path(args.bundle), args.journal)
    plan = derive_plan(session.entries, speed=args.speed)
    if args.simulate:
        from seller_studio.diagnostics.faults import parse_simulate

        plan.faults = parse_simulate(args.simulate)
    missing = session.missing + plan.missing
    print(f"reproducing {session.name}" + (f" (bundle of version {session.bundle_version})"
                                           if session.bundle_version else ""))
    print(plan.describe())
    for note in plan.notes:
        print(f"  derived: {note}")
    print(f"--simulate {plan.spec() or '(no faults observed)'}")
    if plan.faults:
        print(f"  (edit and rerun: seller-studio reproduce {args.bundle} --simulate '{plan.spec()}')")
    if missing:
        print(tr("seller-studio: warning: this bundle lacks {missing}: reproducing what it has").format(
            missing="; ".join(tr_text(m) for m in missing)), file=sys.stderr)
    if args.speed != 1.0:
        print(tr("seller-studio: note: --speed {speed} runs the schedule {speed}x faster, but the "
                 "studio's own clocks (reconnect backoff, the 1 s camera watchdog, 4 s bitrate steps, the 10 s "
                 "health window) do not speed up: expect verdicts to differ where they matter").format(
            speed=f"{args.speed:g}"), file=sys.stderr)
    if args.print_only:
        return int(ExitCode.REPRODUCED_PARTLY) if missing else 0
    sys.stdout.flush()
    journal_out = Path(args.journal_out) if args.journal_out else Path(
        tempfile.mkdtemp(prefix="reproduce-")) / "reproduced.jsonl"
    run_plan(plan, journal_out, ingest=args.ingest)
    comparison = compare(session.entries, read_journal(journal_out.read_text(encoding="utf-8")), speed=args.speed)
    text = report_text(comparison, session.name)
    print(text)
    print(f"reproduced journal: {journal_out}")
    if args.report:
        Path(args.report).write_text(text + "\n", encoding="utf-8")
    if not args.headless:
        from seller_studio.ui.replay.compare_view import run_comparison_window

        run_comparison_window(comparison, text, session.name)
    return int(ExitCode.REPRODUCED_PARTLY) if missing else 0


def run_plan(plan: ReproductionPlan, journal_path: Path, ingest: str | None = None) -> None:
    """Go live with the plan's stand-ins and faults for its duration, recording into ``journal_path``."""
    server = None
    workdir = None
    if ingest is None:
        from seller_studio.diagnostics.rtmp_server import RtmpServer, nginx_rtmp_available

        if not nginx_rtmp_available():
            raise UserError(tr_noop("reproduce needs a local ingest: install nginx with libnginx-mod-rtmp "
                            "(scripts/setup.sh), or pass --ingest rtmp://..."), ExitCode.UNREACHABLE_HOST)
        workdir = tempfile.TemporaryDirectory(prefix="reproduce-ingest-")
        server = RtmpServer(Path(workdir.name)).start()
        ingest = server.url
    profile = plan_profile(plan)
    stream_faults = [f for f in plan.faults if f.kind not in PLATFORM_FAULTS]
    journal = Journal(journal_path, command="reproduce")
    platform = None
    studio = None
    rig = None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if threading.current_thread() is \
        threading.main_thread() else None
    try:
        destination = destination_for_url(ingest, "reproduce", key="reproduce")
        stream = destination.open_output(is_key_required=False, dynamic_bitrate=True)
        studio = assembly.build_studio(profile, faults=plan.faults, is_strict=True).studio
        video = VideoSettings(plan.width, plan.height, plan.fps, plan.bitrate_kbps, plan.keyframe_interval_s,
                              plan.preset, "zerolatency", plan.encoder)
        vertical_stream = None
        vertical_video = None
        if plan.vertical is not None and plan.vertical.is_live and studio.vertical is not None:
            # Its own encode to the same ingest under its own key: the seller's machine encoded both.
            vertical_stream = destination_for_url(ingest, "reproduce-vertical", key="reproduce-vertical").open_output(
                is_key_required=False, dynamic_bitrate=True)
            vertical_video = replace(video, width=plan.vertical.width, height=plan.vertical.height,
                                     bitrate_kbps=plan.vertical.bitrate_kbps)
        if plan.active_scene and plan.active_scene in studio.compositor.scenes:
            studio.set_scene(plan.active_scene)
        journal.attach_studio(studio)
        if plan.has_platform:
            platform = PlatformStandIn(journal)
        streams = [stream] + ([vertical_stream] if vertical_stream is not None else [])
        journal.write("head", "settings", simulate=[f.describe() for f in plan.faults], reproduces=True,
                      outputs=[{"kind": "stream", "url": s.display_url} for s in streams])
        rig = StudioFaults(plan.faults, platform.sandbox if platform is not None else None)
        for s in streams:  # a net-drop or slow uplink is the seller's one uplink: both streams share it
            rig.route(s)
        has_audio = assembly.MIC_ID in studio.mixer.channels
        journal.write("head", "profile", **describe_setup(studio, video, vertical_video=vertical_video))
        try:
            session = studio.go_live([stream], video, AudioSettings() if has_audio else None, None,
                                     duration_s=plan.duration_s)
            if vertical_stream is not None and vertical_video is not None:
                studio.go_live([vertical_stream], vertical_video, AudioSettings() if has_audio else None, None,
                               duration_s=plan.duration_s, canvas="vertical")
        except OutputError as err:  # the ingest refused: its one line and stream's exit code
            raise UserError(str(err), exit_code_for(err.reason)) from None
        journal.action("go_live", encoder=session.encoders.video.codec_name, width=plan.width, height=plan.height,
                       fps=plan.fps, bitrate_kbps=plan.bitrate_kbps, preset=plan.preset,
                       keyframe_interval_s=plan.keyframe_interval_s)
        if stream_faults or platform is not None:
            rig.start(studio, streams, journal)
        if platform is not None:
            platform.replay(plan.platform_commands)
        print(f"live: reproducing for {plan.duration_s:.0f} s into {ingest}", file=sys.stderr)
        deadline = time.monotonic() + plan.duration_s + 15
        while not stop.is_set() and not session.wait(0.2) and time.monotonic() < deadline:
            pass
    finally:
        if studio is not None:
            studio.stop()  # before the relay closes: a closing relay would be one more "reconnect"
        if rig is not None:
            rig.close()
        journal.action("end_show")
        if platform is not None:
            platform.close()
        journal.close()
        if server is not None:
            server.stop()
        if workdir is not None:
            workdir.cleanup()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

