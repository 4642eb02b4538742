"""`seller-studio stream`: go live headless — capture, compose, encode, push and/or record."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from seller_studio.common.errors import ExitCode, UnsupportedSizeError, UserError
from seller_studio.common.secrets import SecretStore, stream_key_name
from seller_studio.diagnostics import stream_faults
from seller_studio.diagnostics.redact import register_secret
from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.media.compositor import Layer, Scene, picture_in_picture, side_by_side
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import OutputError, StopReason
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput, url_secrets
from seller_studio.media.session import LiveSession
from seller_studio.media.sources.registry import kind_of_spec
from seller_studio.media.stats import StreamStats, process_age_s
from seller_studio.media.studio import Studio
from seller_studio.studio import assembly
from seller_studio.studio.assembly import scene_to_json, vertical_recording_path
from seller_studio.studio.destination import (
    DEFAULT_NAME,
    Destination,
    destination_for_url,
    destinations_from_specs,
    parse_dest,
    protocol_of,
)
from seller_studio.studio.presets import CANVASES, DURATION_WARNING_BEFORE_S, PRESETS, validate
from seller_studio.studio.settings import Profile, VerticalPrefs, VideoPrefs

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stream", help="go live headless: stream and/or record a camera or the test pattern",
                       description="Capture, compose, encode and push to an ingest (and/or record locally). "
                                   "The stream key comes from the keyring, the variable named by --key-env, "
                                   "or a prompt; never from the command line.")
    p.add_argument("--url", help="ingest URL: rtmp://, rtmps:// or srt://host:port (without the stream key), "
                   "or whip://host[:port]/path (whips:// for https) for a WHIP (WebRTC) endpoint; "
                   "one unnamed landscape destination")
    p.add_argument("--dest", action="append", default=[], metavar="NAME=URL[,canvas=vertical][,preset=tiktok]",
                   help="one more destination (repeatable); its key comes from the keyring entry stream-key:NAME "
                        "or --key-env NAME=VAR. Presets: platform, tiktok, youtube, facebook, twitch, custom")
    p.add_argument("--camera", default="test-pattern", metavar="SPEC",
                   help="test-pattern, a camera index or name, or a video/image file (default: test-pattern)")
    p.add_argument("--camera2", metavar="SPEC", help="a second source for --scene pip or side-by-side")
    p.add_argument("--scene", choices=["single", "pip", "side-by-side"], default=None,
                   help="layout of the program picture (default: pip when --camera2 is given)")
    p.add_argument("--switch", action="append", default=[], metavar="T:SCENE",
                   help="switch to SCENE (single, camera2, pip, side-by-side) at T seconds; repeatable")
    p.add_argument("--mic", default="tone", metavar="SPEC",
                   help="tone, silence, none, a microphone index or name, or an audio file (default: tone)")
    p.add_argument("--size", default="1280x720", help="output size WxH (default 1280x720)")
    p.add_argument("--vertical-size", metavar="WxH",
                   help="also compose a vertical canvas of this size (e.g. 720x1280) from the same sources and "
                        "sound, its scenes derived from the landscape ones; --record then also writes "
                        "NAME.vertical.mkv (default size 720x1280 when --vertical-url turns it on)")
    p.add_argument("--vertical-url", metavar="URL",
                   help="stream the vertical canvas to this ingest URL (a key, if any, pasted in the URL)")
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--bitrate", type=int, default=2500, metavar="KBPS", help="video bitrate (default 2500)")
    p.add_argument("--encoder", default="x264", help="x264, auto, nvenc, qsv, amf, vaapi, videotoolbox (default x264)")
    p.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    p.add_argument("--no-zerolatency", action="store_true", help="do not use x264 tune=zerolatency")
    p.add_argument("--keyframe-interval", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds (default: until Ctrl-C)")
    p.add_argument("--record", metavar="FILE", help="also record locally (MKV unless FILE says otherwise)")
    p.add_argument("--record-mp4", action="store_true", help="remux the recording to MP4 when it ends")
    p.add_argument("--stats", metavar="FILE.jsonl", help="write the 1-second stats as JSON lines")
    p.add_argument("--key-env", action="append", default=[], metavar="[NAME=]VAR",
                   help="read the stream key of destination NAME (of --url without NAME=) from this environment "
                        "variable; repeatable")
    p.add_argument("--destination", default="custom", help="keyring entry the stream key is read from")
    p.add_argument("--no-key", action="store_true", help="the URL needs no stream key")
    p.add_argument("--no-dynamic-bitrate", action="store_true", help="keep the bitrate fixed under congestion")
    p.add_argument("--journal", metavar="FILE.jsonl",
                   help="flight-recorder journal (default: a new journal in the log directory)")
    p.add_argument("--simulate", metavar="SPEC",
                   help="inject faults to re-create a report, e.g. "
                        "net-drop@30s:20s,camera-lost@60s:10s,slow-uplink@90s:1500kbps,mic-lost@120s")
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m:
        raise UnsupportedSizeError(tr_noop("size '{text}' is not WxH (for example 1280x720)").format(text=text))
    w, h = int(m.group(1)), int(m.group(2))
    if not (160 <= w <= 4096 and 90 <= h <= 2304) or w % 2 or h % 2:
        raise UnsupportedSizeError(tr_noop('size {w}x{h} is not supported: use even numbers from 160x90 to 4096x2304').format(w=w, h=h))
    return w, h


def read_stream_key(args: argparse.Namespace) -> str:
    return register_secret_value(_read_stream_key(args))


def key_env_vars(args: argparse.Namespace) -> dict[str, str]:
    """``--key-env`` as destination name -> variable ("" is the unnamed --url destination)."""
    found: dict[str, str] = {}
    for item in args.key_env or []:
        name, eq, var = item.partition("=")
        name, var = (name.strip(), var.strip()) if eq else ("", name.strip())
        if not var:
            raise UserError(tr_noop("--key-env '{item}': use VAR or NAME=VAR").format(item=item), ExitCode.USAGE)
        found[name] = var
    return found


def read_dest_key(args: argparse.Namespace, spec) -> str:  # noqa: ANN001 - destination.DestSpec
    """The stream key of one ``--dest`` (registered as a secret): --key-env NAME=VAR, the keyring
    entry stream-key:NAME, a key pasted into its URL, a prompt; else one line naming it."""
    if args.no_key:
        return ""
    var = key_env_vars(args).get(spec.name)
    if var:
        value = os.environ.get(var)
        if not value:
            raise UserError(tr_noop("destination '{name}': {error}").format(
                name=spec.name, error=tr_noop("environment variable {key_env} is empty or not set").format(key_env=var)),
                ExitCode.NO_STREAM_KEY)
        return register_secret_value(value)
    stored = SecretStore().get(stream_key_name(spec.name))
    if stored:
        return register_secret_value(stored)
    if url_secrets(spec.url) or protocol_of(spec.url) == "whip" or spec.protocol == "whip":
        return ""  # the key is in the URL (or a WHIP endpoint that needs none)
    if sys.stdin.isatty():
        return register_secret_value(getpass.getpass(f"Stream key for {spec.name}: ").strip())
    raise UserError(tr_noop("destination '{name}': no stream key: store it in the keyring entry "
                            "stream-key:{name} or use --key-env {name}=VAR").format(name=spec.name),
                    ExitCode.NO_STREAM_KEY)


def named_error(name: str, error: str) -> str:
    """``error`` naming its destination once (a WHIP endpoint's own error already names it)."""
    if f"destination '{name}'" in error:
        return error
    return tr_noop("destination '{name}': {error}").format(name=name, error=error)


def register_secret_value(value: str) -> str:
    register_secret(value)  # from now on no log line, journal or crash report can carry it
    return value


def _read_stream_key(args: argparse.Namespace) -> str:
    if args.no_key:
        return ""
    var = key_env_vars(args).get("") or key_env_vars(args).get(DEFAULT_NAME)
    if var:
        value = os.environ.get(var)
        if not value:
            raise UserError(tr_noop('environment variable {key_env} is empty or not set').format(key_env=var), ExitCode.NO_STREAM_KEY)
        return value
    stored = SecretStore().get(stream_key_name(args.destination))
    if stored:
        return stored
    if sys.stdin.isatty():
        return getpass.getpass("Stream key: ").strip()
    raise UserError(tr_noop("no stream key: store one in the keyring, use --key-env VAR, or --no-key"),
                    ExitCode.NO_STREAM_KEY)


def vertical_size(args: argparse.Namespace) -> tuple[int, int] | None:
    """The vertical canvas's size: ``--vertical-size``, or 720x1280 when a vertical destination needs
    one; None when the command has no vertical canvas."""
    text = getattr(args, "vertical_size", None)
    has_vertical_dest = any(parse_dest(d).canvas == "vertical" for d in getattr(args, "dest", []))
    if not text and not getattr(args, "vertical_url", None) and not has_vertical_dest:
        return None
    width, height = parse_size(text or "720x1280")
    if height <= width:
        raise UnsupportedSizeError(tr_noop('--vertical-size {width}x{height} is not upright: the height must be the larger, e.g. 720x1280').format(width=width, height=height))
    return width, height


def profile_from_args(args: argparse.Namespace) -> Profile:
    """The arguments as the profile the window uses: canvas, encoder, mic and a scene collection
    (``single``; with ``--camera2`` also ``camera2``, ``pip`` and ``side-by-side``), and with
    ``--vertical-size`` the vertical canvas (its scenes derived from these)."""
    width, height = parse_size(args.size)
    if not 1 <= args.fps <= 120:
        raise UnsupportedSizeError(tr_noop('{fps} fps is not supported: use 1 to 120').format(fps=args.fps))
    profile = Profile(name="stream")
    profile.video = VideoPrefs(width, height, args.fps, args.encoder, args.bitrate)
    vsize = vertical_size(args)
    if vsize is not None:
        profile.vertical = VerticalPrefs(True, vsize[0], vsize[1], args.bitrate)
    profile.audio.mic = args.mic
    profile.sources = [{"id": "camera", "kind": kind_of_spec(args.camera), "spec": args.camera, "label": "camera"}]
    scenes = [Scene("single", [Layer("camera")])]
    if args.camera2:
        profile.sources.append({"id": "camera2", "kind": kind_of_spec(args.camera2), "spec": args.camera2,
                                "label": "camera2"})
        scenes += [Scene("camera2", [Layer("camera2")]),
                   picture_in_picture("pip", "camera", "camera2", width, height),
                   side_by_side("side-by-side", "camera", "camera2", width, height)]
    profile.scenes = [scene_to_json(scene, width, height) for scene in scenes]
    return profile


@dataclass
class VerticalPlan:
    """The vertical canvas's part of the command: its encode settings and outputs."""

    video: VideoSettings
    outputs: list


def prepare_stream(args: argparse.Namespace, stream_key: str) -> tuple[Studio, list, VideoSettings, bool]:
    """The window's assembler (``studio/assembly.build_studio``) on the profile of the arguments,
    strict: a source or mic that cannot open is its one line and exit code. The vertical canvas's
    outputs, if any, are in ``args.vertical_plan``."""
    profile = profile_from_args(args)
    if not args.url and not args.dest and not args.record and not getattr(args, "vertical_url", None):
        raise UserError(tr_noop("nothing to do: give --url or --dest to stream, --record to record, or both"), ExitCode.USAGE)
    vertical_outputs: list = []
    if getattr(args, "vertical_url", None):
        # Until named destinations (--dest NAME=URL,canvas=vertical): a key, if any, is in the URL.
        vertical_outputs.append(StreamOutput(args.vertical_url, "", name="vertical",
                                             dynamic_bitrate=not args.no_dynamic_bitrate))
    if args.record and profile.vertical.is_enabled:
        vertical_outputs.append(RecordingOutput(vertical_recording_path(Path(args.record)),
                                                remux_to_mp4=args.record_mp4))
    outputs = []
    faults = stream_faults.parse(args)  # a bad --simulate spec is one line before anything opens
    v = profile.video
    video = VideoSettings(v.width, v.height, v.fps, v.bitrate_kbps, args.keyframe_interval, args.preset,
                          None if args.no_zerolatency else "zerolatency", v.encoder)
    vp = profile.vertical
    vertical_video = replace(video, width=vp.width, height=vp.height, bitrate_kbps=vp.bitrate_kbps)
    destinations = show_destinations(args, stream_key)
    if args.dest:  # the presets' rules (a plain --url is a custom server: nothing to check)
        destinations, canvases = validate_destinations(destinations, {"landscape": video, "vertical": vertical_video})
        video, vertical_video = canvases["landscape"], canvases["vertical"]
    for destination in destinations:  # validates each URL before any device is opened
        output = destination.open_output(is_key_required=False, dynamic_bitrate=not args.no_dynamic_bitrate)
        (vertical_outputs if destination.canvas == "vertical" else outputs).append(output)
    if args.record:
        outputs.append(RecordingOutput(Path(args.record), remux_to_mp4=args.record_mp4))
    # A vertical canvas nothing streams or records would only cost CPU: it is composed when used.
    profile.vertical.is_enabled = profile.vertical.is_enabled and bool(vertical_outputs)
    studio = assembly.build_studio(profile, faults=faults, is_strict=True).studio
    studio.set_scene(args.scene or ("pip" if args.camera2 else "single"))
    args.vertical_plan = VerticalPlan(vertical_video, vertical_outputs) if vertical_outputs else None
    return studio, outputs, video, assembly.MIC_ID in studio.mixer.channels


def show_destinations(args: argparse.Namespace, stream_key: str) -> list[Destination]:
    """``--url`` (the unnamed landscape destination) and every ``--dest``, with their keys read."""
    # --no-key means no key: not the one the keyring may hold for the destination.
    keyring_entry = None if args.no_key else args.destination
    destinations = [destination_for_url(args.url, keyring_entry, key=stream_key)] if args.url else []
    specs = [parse_dest(text) for text in args.dest]
    taken = {DEFAULT_NAME} if args.url else set()
    taken |= {"vertical"} if getattr(args, "vertical_url", None) else set()
    for spec in specs:
        if spec.name in taken:
            raise UserError(tr_noop("--dest {name}: that name is the --url or --vertical-url destination's; "
                                    "choose another").format(name=spec.name), ExitCode.USAGE)
        for secret in url_secrets(spec.url):
            register_secret_value(secret)
    keys = {spec.name: read_dest_key(args, spec) for spec in specs}
    return destinations + destinations_from_specs(specs, keys)


def validate_destinations(destinations: list[Destination], video: dict[str, VideoSettings]
                          ) -> tuple[list[Destination], dict[str, VideoSettings]]:
    """The validator before Go Live: what it changes is printed (one line each, naming the
    destination); a refusal is this command's one-line error."""
    report = validate(destinations, video, AudioSettings(), canvases=CANVASES)
    for check in report.checks:
        if check.is_refused:
            raise UserError(check.lines()[0], check.exit_code)
    for line in report.lines():
        print(tr_text(line), file=sys.stderr)  # made in English (journal, logs), shown in the seller's language
    by_name = {c.name: c for c in report.checks}
    destinations = [replace(d, url=by_name[d.name].url) for d in destinations]
    return destinations, report.video


def duration_limits(args: argparse.Namespace) -> dict[str, float]:
    """Destination name -> the seconds its platform lets a broadcast last (Facebook: 8 h)."""
    limits = {}
    for text in args.dest:
        spec = parse_dest(text)
        hours = PRESETS[spec.preset].max_duration_h
        if hours:
            limits[spec.name] = hours * 3600
    return limits


def warn_before_limits(limits: dict[str, float], live_s: float) -> None:
    """One line per destination, once, 15 minutes before its platform ends the broadcast."""
    for name, limit_s in list(limits.items()):
        if live_s >= limit_s - DURATION_WARNING_BEFORE_S:
            left_min = max(0, round((limit_s - live_s) / 60))
            print(tr_text(tr_noop("destination '{name}': the platform ends this broadcast in {minutes} minutes "
                                  "(at {hours} hours): start a new one to go on").format(
                name=name, minutes=left_min, hours=f"{limit_s / 3600:g}")), file=sys.stderr)
            del limits[name]


def schedule_switches(studio: Studio, switches: list[str]) -> list[threading.Timer]:
    timers = []
    for item in switches:
        t_text, _, scene = item.partition(":")
        try:
            at_s = float(t_text)
        except ValueError:
            raise UserError(tr_noop("--switch '{item}' is not T:SCENE").format(item=item), ExitCode.USAGE) from None
        if scene not in studio.compositor.scenes:
            raise UserError(tr_noop("--switch: no scene '{scene}' (have {value})").format(scene=scene, value=', '.join(studio.compositor.scenes)),
                            ExitCode.USAGE)
        timer = threading.Timer(at_s, stream_faults.switch_scene, args=(studio, scene))
        timer.daemon = True
        timers.append(timer)
    return timers


def run(args: argparse.Namespace) -> int:
    for url in (args.url, getattr(args, "vertical_url", None)):
        for secret in url_secrets(url) if url else ():  # a key pasted into a URL is masked everywhere printed
            register_secret_value(secret)
    stream_key = read_stream_key(args) if args.url else ""
    studio, outputs, video, has_audio = prepare_stream(args, stream_key)
    stop = threading.Event()
    cleaning = threading.Event()

    def on_signal(*_: object) -> None:
        # Interrupt whatever the main thread waits on (connecting included); while the show is being
        # finished (recording finalized), further signals only ask again, they never cut it short.
        stop.set()
        if not cleaning.is_set():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    previous_int = signal.signal(signal.SIGINT, on_signal)
    session = None
    sessions: list[LiveSession] = []
    recorder = None
    try:
        timers = schedule_switches(studio, args.switch)
        plan: VerticalPlan | None = getattr(args, "vertical_plan", None)
        all_outputs = outputs + (plan.outputs if plan is not None else [])
        recorder = stream_faults.FlightRecorder(args, studio, all_outputs)
        studio.start()
        audio = AudioSettings() if has_audio else None
        stats_path = Path(args.stats) if args.stats else None
        destinations = [o for o in all_outputs if o.is_destination]
        # Several destinations: one that fails at connect (a wrong key) is its own error.
        is_partial_ok = len(destinations) > 1
        sessions = []
        try:
            if outputs:
                session = studio.go_live(outputs, video, audio, stats_path, duration_s=args.duration,
                                         is_partial_ok=is_partial_ok)
                sessions.append(session)
            if plan is not None:  # one encode per canvas: the vertical canvas's own session
                sessions.append(studio.go_live(plan.outputs, plan.video, audio, stats_path,
                                               duration_s=args.duration, canvas="vertical",
                                               is_partial_ok=is_partial_ok))
            if destinations and all(o.error for o in destinations):  # not one of them went live
                failed = destinations[0]
                raise OutputError(failed.stop_reason, failed.error or "")
        except OutputError as err:
            name = next((o.name for o in destinations if o.error == str(err)), DEFAULT_NAME)
            line = str(err) if name in (DEFAULT_NAME, "vertical") else named_error(name, str(err))
            raise UserError(line, exit_code_for(err.reason)) from None
        session = sessions[0]
        recorder.on_live(session, video)
        for timer in timers:
            timer.start()
        for output in destinations:
            if output.error:  # a wrong key on one destination: its error; the others are live
                print(tr_text(named_error(output.name, output.error)), file=sys.stderr)
        for s in sessions:
            where = " and ".join(describe_output(o) for o in s.outputs if not o.error)
            size = f"{s.video_settings.width}x{s.video_settings.height}"
            print(f"live: {where} ({size}@{args.fps}, {s.encoders.video.codec_name})", file=sys.stderr)
        limits = duration_limits(args)
        try:
            while not stop.is_set() and not all(s.wait(0.2 / len(sessions)) for s in sessions):
                warn_before_limits(limits, time.monotonic() - session.started_at_s)
        except KeyboardInterrupt:
            pass
        if stop.is_set():
            print(tr(tr_noop("stopping...")), file=sys.stderr)
        for timer in timers:
            timer.cancel()
    except KeyboardInterrupt:
        print(tr(tr_noop("stopping before the stream went live...")), file=sys.stderr)
        raise
    finally:
        cleaning.set()
        studio.stop(timeout_s=CLI_STOP_BUDGET_S)
        if recorder is not None:
            recorder.close()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    code = 0
    for s in sessions:
        code = report(s) or code
    return code


def describe_output(output) -> str:  # noqa: ANN001 - an Output
    """``stream URL`` for --url, ``NAME URL`` for a named destination, ``recording PATH``."""
    if not output.is_destination:
        return f"{output.kind} {getattr(output, 'path', '')}"
    if output.name in (DEFAULT_NAME, "vertical"):
        return f"{output.kind} {output.display_url}"
    return f"{output.name} {output.display_url}"


CLI_STOP_BUDGET_S = 1.5  # Ctrl-C / SIGTERM / --duration: the process ends within 2 s, recording finalized


# The one place where an output's stop reason becomes a process exit code (README's table).
EXIT_CODES: dict[StopReason, ExitCode] = {
    StopReason.REJECTED: ExitCode.REJECTED_KEY,
    StopReason.BAD_URL: ExitCode.BAD_URL,
    StopReason.UNREACHABLE: ExitCode.UNREACHABLE_HOST,
    StopReason.NO_ANSWER: ExitCode.INGEST_NO_ANSWER,
    StopReason.NOT_RTMP: ExitCode.NOT_AN_RTMP_SERVER,
    StopReason.TLS_FAILED: ExitCode.TLS_FAILED,
    StopReason.WRITE_FAILED: ExitCode.UNWRITABLE_PATH,
    StopReason.DISK_FULL: ExitCode.DISK_FULL,
}


def exit_code_for(reason: StopReason) -> ExitCode:
    return ExitCode.OK if reason.is_success else EXIT_CODES.get(reason, ExitCode.FAILURE)


def report(session: LiveSession) -> int:
    fps = session.video_settings.fps
    canvas = "vertical " if session.canvas == "vertical" else ""
    print(f"done: {canvas}{session.frames_encoded} frames ({session.frames_encoded / fps:.2f} s), "
          f"dropped render {session.compositor.frames_skipped_render_lag} / encode "
          f"{session.frames_dropped_encode_lag}", file=sys.stderr)
    age_s = process_age_s()
    if session.first_video_sent_at_s is not None and age_s is not None and not canvas:
        first_s = age_s - (time.monotonic() - session.first_video_sent_at_s)
        print(f"first frame pushed {first_s:.2f} s after the process started", file=sys.stderr)
    code = 0
    for output in session.outputs:
        stats = output.stats()
        if output.error:
            print(f"{output.name}: {tr_text(output.error)}", file=sys.stderr)
            code = code or int(exit_code_for(output.stop_reason))
        elif isinstance(stats, StreamStats):
            print(f"{output.name}: sent {stats.bytes_sent / 1e6:.1f} MB, reconnects {stats.reconnects}, "
                  f"dropped {stats.dropped_network} (congestion) {stats.dropped_disconnect} (disconnect)",
                  file=sys.stderr)
        else:
            print(f"recording: {getattr(output, 'final_path', None) or output.path}", file=sys.stderr)
    return code
