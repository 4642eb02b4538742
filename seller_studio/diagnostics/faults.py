"""Fault injection to re-create a seller's report: the ``--simulate`` spec, its schedule, and the
pieces that apply each fault to real components.

Spec: comma-separated ``KIND@TIME[:ARG[:ARG]]``; times are ``30s``, ``1.5s``, ``500ms``, ``2m`` or
``1m30s`` (a bare number is seconds), rates ``1500kbps`` or ``2mbps`` (a bare number is kbps).

==============  ===========================  ==================================================
kind            form                         effect
==============  ===========================  ==================================================
net-drop        net-drop@T:DURATION[:DEST]   the uplink is cut (relay refuses and drops), then back
slow-uplink     slow-uplink@T:RATE[:DUR][:DEST]  the uplink is capped at RATE (until the end w/o DUR)
camera-lost     camera-lost@T[:DURATION]     the camera stops delivering frames (-> "lost" slate)
camera-freeze   camera-freeze@T[:DURATION]   every read of the camera device blocks (a hung driver): the
                                             watchdog finds it frozen after 1 s and reopens it
mic-lost        mic-lost@T[:DURATION]        the microphone stops delivering (-> silence + warning)
thread-crash    thread-crash@T:PART[:DEST]   an exception inside that media thread (PART: encoder,
                                             output, recording or stats); it must restart itself
disconnect      disconnect@T                 the platform drops every client connection (sandbox)
delayed-acks    delayed-acks@T:DELAY[:DUR]   the platform answers commands DELAY late (sandbox)
==============  ===========================  ==================================================

DEST, the optional last field of net-drop, slow-uplink and thread-crash:output, names one destination
of a show with several (``net-drop@30s:10s:tiktok``); without it the fault hits every destination.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.i18n import tr_noop
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import SourceState, VideoSource, make_slate

log = logging.getLogger(__name__)

STREAM_FAULTS = ("net-drop", "slow-uplink", "camera-lost", "mic-lost", "camera-freeze", "thread-crash")
CRASH_PARTS = ("encoder", "output", "recording", "stats")
PLATFORM_FAULTS = ("disconnect", "delayed-acks")
ALL_FAULTS = STREAM_FAULTS + PLATFORM_FAULTS
USAGE = ("KIND@TIME[:ARG], e.g. net-drop@30s:20s,camera-lost@60s:10s,slow-uplink@90s:1500kbps,mic-lost@120s,"
         "thread-crash@150s:encoder")


class FaultSpecError(UserError):
    exit_code = ExitCode.BAD_SIMULATE_SPEC


@dataclass(frozen=True)
class Fault:
    kind: str
    at_s: float
    duration_s: float | None = None  # None: until the end of the session (or instantaneous)
    rate_kbps: float | None = None  # slow-uplink
    delay_ms: float | None = None  # delayed-acks
    part: str | None = None  # thread-crash: which media thread
    destination: str | None = None  # net-drop, slow-uplink, thread-crash:output: one destination (None: all)

    @property
    def ends_at_s(self) -> float | None:
        return None if self.duration_s is None else self.at_s + self.duration_s

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in {"kind": self.kind, "at_s": self.at_s, "duration_s": self.duration_s,
                                  "rate_kbps": self.rate_kbps, "delay_ms": self.delay_ms,
                                  "part": self.part, "destination": self.destination}.items() if v is not None}


_TIME_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|min|m|h)?")
_UNIT_S = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_time_s(text: str) -> float:
    """``30s``, ``500ms``, ``1m30s``, ``2.5`` -> seconds; ValueError otherwise."""
    text = text.strip().lower()
    if not text:
        raise ValueError(tr_noop("empty time"))
    total, pos = 0.0, 0
    while pos < len(text):
        m = _TIME_PART.match(text, pos)
        if not m or (m.group(2) is None and m.end() != len(text)):
            raise ValueError(tr_noop("time '{text}' is not like 30s, 1.5s, 500ms or 1m30s").format(text=text))
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    return total


def parse_rate_kbps(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(kbps|kbit/s|k|mbps|mbit/s|m)?", text.strip().lower())
    if not m:
        raise ValueError(tr_noop("rate '{text}' is not like 1500kbps or 2mbps").format(text=text))
    value = float(m.group(1)) * (1000.0 if m.group(2) in ("mbps", "mbit/s", "m") else 1.0)
    if not 10 <= value <= 1_000_000:
        raise ValueError(tr_noop("rate {kbps} kbps is out of range (10 kbps to 1000 mbps)").format(kbps=f"{value:g}"))
    return value


def parse_simulate(spec: str, allowed: tuple[str, ...] = ALL_FAULTS) -> list[Fault]:
    """Parse a ``--simulate`` spec, or raise FaultSpecError with one line naming the bad part."""
    faults = []
    parts = [p.strip() for p in spec.split(",")]
    if not any(parts):
        raise FaultSpecError(tr_noop('--simulate: empty spec; use {USAGE}').format(USAGE=USAGE))
    for part in parts:
        if not part:
            continue
        try:
            faults.append(_parse_one(part, allowed))
        except ValueError as exc:
            raise FaultSpecError(tr_noop("--simulate: bad fault '{part}': {exc}").format(part=part, exc=exc)) from None
    return sorted(faults, key=lambda f: f.at_s)


def _parse_one(part: str, allowed: tuple[str, ...]) -> Fault:
    kind, at, rest = part.partition("@")
    kind = kind.strip().lower()
    if not at:
        raise ValueError(tr_noop("missing '@TIME' (form: {usage})").format(usage=USAGE))
    if kind not in allowed:
        raise ValueError(tr_noop("unknown kind '{kind}' here (this command takes: {kinds})").format(kind=kind, kinds=", ".join(allowed)))
    at_text, *args = rest.split(":")
    at_s = parse_time_s(at_text)
    destination = None
    if kind in DESTINATION_FAULTS and args and _is_destination_name(args[-1], kind, len(args)):
        # The optional last field names one destination: net-drop@30s:10s:tiktok
        destination = args.pop().strip()
    fault = _parse_args(kind, at_s, args)
    if destination and kind == "thread-crash" and fault.part != "output":
        raise ValueError(tr_noop("only thread-crash@TIME:output takes a destination name"))
    return replace(fault, destination=destination) if destination else fault


DESTINATION_FAULTS = ("net-drop", "slow-uplink", "thread-crash")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


def _is_destination_name(text: str, kind: str, n_args: int) -> bool:
    """Whether the last ':' field of a fault is a destination name rather than a time, rate or part."""
    text = text.strip()
    if n_args < 2:  # the rate, duration or part comes first
        return False
    if kind == "thread-crash":
        return n_args == 2  # thread-crash@T:output:NAME
    if not _NAME.fullmatch(text):
        return False  # a time (30s) or a rate (1500kbps) starts with a digit
    return True


def _parse_args(kind: str, at_s: float, args: list[str]) -> Fault:

    def duration(index: int, required: bool) -> float | None:
        if len(args) <= index:
            if required:
                raise ValueError(tr_noop("{kind} needs a duration: {kind}@TIME:DURATION").format(kind=kind))
            return None
        value = parse_time_s(args[index])
        if value <= 0:
            raise ValueError(tr_noop("the duration must be more than 0"))
        return value

    def at_most(n: int) -> None:
        if len(args) > n:
            raise ValueError(tr_noop("too many ':' parts for {kind}").format(kind=kind))

    if kind == "net-drop":
        at_most(1)
        return Fault(kind, at_s, duration(0, True))
    if kind in ("camera-lost", "mic-lost", "camera-freeze"):
        at_most(1)
        return Fault(kind, at_s, duration(0, False))
    if kind == "slow-uplink":
        at_most(2)
        if not args:
            raise ValueError(tr_noop("slow-uplink needs a rate: slow-uplink@TIME:1500kbps"))
        return Fault(kind, at_s, duration(1, False), rate_kbps=parse_rate_kbps(args[0]))
    if kind == "thread-crash":
        at_most(1)
        if not args or args[0].strip().lower() not in CRASH_PARTS:
            raise ValueError(tr_noop("thread-crash needs a part: thread-crash@TIME:{parts}").format(parts="|".join(CRASH_PARTS)))
        return Fault(kind, at_s, part=args[0].strip().lower())
    if kind == "disconnect":
        at_most(0)
        return Fault(kind, at_s)
    if kind == "delayed-acks":
        at_most(2)
        if not args:
            raise ValueError(tr_noop("delayed-acks needs a delay: delayed-acks@TIME:1500ms[:DURATION]"))
        delay_s = parse_time_s(args[0])
        if not 0 < delay_s <= 60:
            raise ValueError(tr_noop("the ack delay must be between 0 and 60 s"))
        return Fault(kind, at_s, duration(1, False), delay_ms=delay_s * 1000)
    raise ValueError(f"unknown kind '{kind}'")  # pragma: no cover - allowed covers it


# -- schedule ------------------------------------------------------------------------------------
Applier = Callable[[Fault], None]


class FaultSchedule:
    """Runs each fault's start and end at its time on one named thread; stop() cancels the rest.

    ``appliers`` maps a kind to (start, end); the journal records every transition, so a replay
    shows the fault next to its effect.
    """

    def __init__(self, faults: list[Fault], appliers: dict[str, tuple[Applier, Applier | None]],
                 journal: Any | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        missing = {f.kind for f in faults} - set(appliers)
        if missing:
            hint = (" (camera-freeze needs a camera device: --camera 0 or the camera's name)"
                    if "camera-freeze" in missing else "")
            raise FaultSpecError(tr_noop('--simulate: {value} cannot be simulated here{hint}').format(value=', '.join(sorted(missing)), hint=hint))
        self.faults = faults
        self.appliers = appliers
        self.journal = journal
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.active: set[Fault] = set()
        self.log: list[tuple[float, str, str]] = []  # (t_s, kind, phase) as applied

    def start(self) -> None:
        self._t0 = self._clock()
        self._thread = threading.Thread(target=self._run, name="fault-schedule", daemon=True)
        self._thread.start()

    def _transitions(self) -> list[tuple[float, int, Fault, str]]:
        steps = []
        for fault in self.faults:
            steps.append((fault.at_s, 1, fault, "start"))
            if fault.ends_at_s is not None and self.appliers[fault.kind][1] is not None:
                steps.append((fault.ends_at_s, 0, fault, "end"))  # ends sort before starts at one time
        return sorted(steps, key=lambda s: (s[0], s[1]))

    def _run(self) -> None:
        for at_s, _, fault, phase in self._transitions():
            wait_s = at_s - (self._clock() - self._t0)
            if wait_s > 0 and self._stop.wait(wait_s):
                return
            self._apply(fault, phase)

    def _apply(self, fault: Fault, phase: str) -> None:
        start, end = self.appliers[fault.kind]
        t_s = round(self._clock() - self._t0, 3)
        log.warning("simulated fault %s %s at %.1f s", fault.kind, phase, t_s)
        if self.journal is not None:
            self.journal.fault(fault.kind, phase, **fault.describe())
        try:
            if phase == "start":
                self.active.add(fault)
                start(fault)
            else:
                self.active.discard(fault)
                assert end is not None
                end(fault)
        except Exception:
            log.exception("applying simulated %s (%s) failed", fault.kind, phase)
        self.log.append((t_s, fault.kind, phase))

    def stop(self, restore: bool = False) -> None:
        """Cancel what has not happened yet; ``restore`` also ends the faults still in force (the
        show ended mid-fault: the camera must not stay "lost" in the idle window)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        if restore:
            for fault in sorted(self.active, key=lambda f: f.at_s):
                if self.appliers[fault.kind][1] is not None:
                    self._apply(fault, "end")


# -- media faults --------------------------------------------------------------------------------
class _StandInVideoSource(VideoSource):
    """What the video fault wrappers share: they pass the inner source's events, start and stop
    through, report LOST while they hold it lost, and draw the "lost" slate at the last frame's size."""

    def __init__(self, inner: VideoSource) -> None:
        super().__init__(inner.id)
        self.inner = inner
        self.kind = inner.kind  # type: ignore[misc]
        self._last: VideoFrame | None = None
        self._slate: VideoFrame | None = None
        inner.events.subscribe(lambda name, payload: self.events.emit(name, **payload))

    @property
    def state(self) -> SourceState:
        return self._state if self._state == SourceState.LOST else self.inner.state

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def _slate_frame(self, text: str) -> VideoFrame:
        width, height = self._last.size if self._last is not None else (1280, 720)
        if self._slate is None or self._slate.size != (width, height):
            self._slate = VideoFrame(make_slate(width, height, text), time.monotonic())
        return self._slate

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "state": self.state.value}


class WithholdingVideoSource(_StandInVideoSource):
    """Wraps a video source; while withholding, it delivers no new frames, as an unplugged camera.

    It then behaves as the capture watchdog does for real cameras: the last frame repeats for
    ``lost_after_s``, then the source is LOST and the layer shows the "lost" slate; the next real
    frame brings it back to LIVE.
    """

    lost_after_s = 1.0

    def __init__(self, inner: VideoSource) -> None:
        super().__init__(inner)
        self.is_withholding = False
        self._withheld_since_s: float | None = None

    def withhold(self, is_withholding: bool) -> None:
        self.is_withholding = is_withholding
        self._withheld_since_s = None

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        if not self.is_withholding:
            frame = self.inner.frame_at(frame_index, now_s)
            if self._state == SourceState.LOST and frame is not None:
                self._set_state(SourceState.LIVE)
            self._last = frame
            return frame
        if self._withheld_since_s is None:
            self._withheld_since_s = now_s
        if now_s - self._withheld_since_s <= self.lost_after_s and self._state != SourceState.LOST:
            return self._last
        self._set_state(SourceState.LOST, f"{self.kind} stopped delivering frames (simulated)")
        return self._slate_frame(f"{self.kind} lost - reconnecting")


class WithholdingAudioSource(AudioSource):
    """Wraps an audio source; while withholding, the device "stops delivering": silence and a warning,
    exactly what MicrophoneSource does when a device vanishes. The inner source is still drained so
    it does not replay stale audio when it comes back."""

    def __init__(self, inner: AudioSource) -> None:
        super().__init__(inner.id)
        self.inner = inner
        self.kind = inner.kind  # type: ignore[misc]
        self.is_withholding = False
        self.is_lost = False
        inner.events.subscribe(lambda name, payload: self.events.emit(name, **payload))

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def align_to_timeline(self, t_s: float) -> None:
        self.inner.align_to_timeline(t_s)

    def withhold(self, is_withholding: bool) -> None:
        self.is_withholding = is_withholding

    def read(self, n: int) -> np.ndarray:
        samples = self.inner.read(n)
        lost = self.is_withholding
        if lost != self.is_lost:
            self.is_lost = lost
            if lost:
                log.warning("microphone %s stopped delivering; sending silence (simulated)", self.id)
            self.events.emit("mic_state", source_id=self.id, is_lost=lost, simulated=True)
        return np.zeros_like(samples) if lost else samples

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()


def wrap_audio(source: Any, faults: list[Fault]) -> Any:
    """The mic, made withholdable when a mic-lost is scheduled (None stays None)."""
    if source is not None and any(f.kind == "mic-lost" for f in faults):
        return WithholdingAudioSource(source)
    return source


def media_appliers(video: WithholdingVideoSource | list[WithholdingVideoSource] | None,
                   audio: WithholdingAudioSource | None, relay: Any | None,
                   stream: Any | None = None, studio: Any | None = None) -> dict[str, tuple[Applier, Applier | None]]:
    """Start/end functions for the stream faults; ``video`` is the camera (or all of them, which a
    camera-lost withholds together), ``relay`` a NetemProxyProcess between studio and ingest
    (net-drop), ``stream`` the StreamOutput whose sending a slow uplink paces, ``studio`` the Studio
    whose live session a thread-crash is raised in."""
    appliers: dict[str, tuple[Applier, Applier | None]] = {}
    videos = video if isinstance(video, list) else [video] if video is not None else []
    if videos:
        def withhold_video(is_withholding: bool) -> None:
            for source in videos:
                source.withhold(is_withholding)

        appliers["camera-lost"] = (lambda f: withhold_video(True), lambda f: withhold_video(False))
    if audio is not None:
        appliers["mic-lost"] = (lambda f: audio.withhold(True), lambda f: audio.withhold(False))
    relays = relay if isinstance(relay, dict) else {None: relay} if relay is not None else {}
    streams = stream if isinstance(stream, list) else [stream] if stream is not None else []
    if relays:
        def cut(fault: Fault, is_cut: bool) -> None:
            for name, one in relays.items():
                if fault.destination is None or fault.destination == name:
                    one.cut() if is_cut else one.restore()

        appliers["net-drop"] = (lambda f: cut(f, True), lambda f: cut(f, False))
    if streams:
        def pace(fault: Fault, rate_kbps: float | None) -> None:
            for one in streams:
                if fault.destination is None or fault.destination == one.name:
                    one.simulated_uplink_kbps = rate_kbps

        appliers["slow-uplink"] = (lambda f: pace(f, f.rate_kbps), lambda f: pace(f, None))
    if studio is not None:
        def crash(fault: Fault) -> None:
            session = studio.session
            if session is None:
                raise RuntimeError(tr_noop("thread-crash: not live"))
            session.inject_crash(fault.part, fault.destination)

        appliers["thread-crash"] = (crash, None)
    return appliers


class FreezableVideoSource(_StandInVideoSource):
    """A stand-in camera (the demo's test pattern) that camera-freeze can hang. A real CameraSource
    hangs in its device reads and its own watchdog reacts; this wrapper gives the same picture on the
    program: while frozen the last picture repeats, the source is LOST after ``frozen_after_s``, the
    slate shows from ``slate_after_s``, and the first new picture after the freeze brings it back."""

    frozen_after_s = 1.0
    slate_after_s = 2.0

    def __init__(self, inner: VideoSource) -> None:
        super().__init__(inner)
        self.device_frozen = threading.Event()
        self._frozen_since_s: float | None = None

    def stop(self) -> None:
        self.device_frozen.clear()
        super().stop()

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        if not self.device_frozen.is_set():
            if self._frozen_since_s is not None:
                self._frozen_since_s = None
                if self._state == SourceState.LOST:
                    self._set_state(SourceState.LIVE, "camera is back")
            self._last = self.inner.frame_at(frame_index, now_s)
            return self._last
        if self._frozen_since_s is None:
            self._frozen_since_s = now_s
        stale_s = now_s - self._frozen_since_s
        if stale_s >= self.frozen_after_s and self._state != SourceState.LOST:
            self._set_state(SourceState.LOST, f"Camera '{self.id}' froze (gives no new picture for "
                                              f"{self.frozen_after_s:g} s): reopening it (simulated)")
        if stale_s < self.slate_after_s:
            return self._last
        return self._slate_frame("camera lost - reconnecting")


def wrap_freezable(source: Any, faults: list[Fault]) -> Any:
    """With a camera-freeze scheduled, a stand-in camera without a device (a test pattern) becomes
    freezable; a CameraSource hangs its own reads and is returned as is."""
    if any(f.kind == "camera-freeze" for f in faults) and not isinstance(getattr(source, "device_frozen", None),
                                                                        threading.Event):
        return FreezableVideoSource(source)
    return source


def camera_freeze_appliers(sources: list[Any]) -> dict[str, tuple[Applier, Applier | None]]:
    """camera-freeze: the camera devices among ``sources`` (through a withholding wrapper too) hang
    their reads for the fault's duration; their own watchdog does the rest, as with a real hang."""
    cameras = []
    for source in sources:
        while source is not None and not isinstance(getattr(source, "device_frozen", None), threading.Event):
            source = getattr(source, "inner", None)  # through the fault wrappers
        if source is not None:
            cameras.append(source)
    if not cameras:
        return {}

    def freeze(is_frozen: bool) -> None:
        for camera in cameras:
            if is_frozen:
                camera.device_frozen.set()
            else:
                camera.device_frozen.clear()

    return {"camera-freeze": (lambda f: freeze(True), lambda f: freeze(False))}


def start_relay(url: str) -> tuple[Any, str]:
    """net-drop: a NetemProxyProcess relaying to the ingest of ``url``, and the URL that goes through it."""
    from urllib.parse import urlsplit, urlunsplit

    from seller_studio.diagnostics.netem_proxy import NetemProxyProcess

    parts = urlsplit(url)
    if parts.scheme.lower() != "rtmp" or not parts.hostname:
        raise FaultSpecError(tr_noop("--simulate: net-drop needs an rtmp:// ingest URL"))
    relay = NetemProxyProcess(parts.hostname, parts.port or 1935)
    log.info("simulated network: streaming through the relay on 127.0.0.1:%d", relay.port)
    return relay, urlunsplit((parts.scheme, f"127.0.0.1:{relay.port}", parts.path, parts.query, parts.fragment))


def platform_appliers(sandbox: Any) -> dict[str, tuple[Applier, Applier | None]]:
    """Start/end functions for the platform faults on an EmbeddedSandbox (run on its loop)."""
    import asyncio

    def disconnect(fault: Fault) -> None:
        asyncio.run_coroutine_threadsafe(sandbox.server.drop_connections(), sandbox.loop).result(5)

    def set_delay(seconds: float) -> None:
        sandbox.call(setattr, sandbox.server, "ack_delay_s", seconds)

    return {
        "disconnect": (disconnect, None),
        "delayed-acks": (lambda f: set_delay((f.delay_ms or 0) / 1000), lambda f: set_delay(0.0)),
    }
