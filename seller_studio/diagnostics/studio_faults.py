"""``--simulate`` for the studio window: support re-creates a seller's bad night in the real window.

Times count from Go Live (as for ``seller-studio stream``). What each fault touches:

- camera-lost: every camera source (or, with no camera in the profile, every test pattern — the
  demo's stand-in) stops delivering, so the layer shows the "lost" slate;
- camera-freeze: every camera device's reads hang (a driver hang): the camera's watchdog notices
  after 1 s and reopens it; the program keeps the last picture, then shows the slate after 2 s (the
  demo's test pattern, which has no device, is wrapped to give the program the same picture);
- mic-lost: the microphone channel goes silent with the mic-lost warning;
- net-drop: the stream goes through a loopback relay that is cut for the duration (each destination
  has its own relay; ``net-drop@T:DUR:NAME`` cuts only that one);
- slow-uplink: the stream output paces its own sending to the given rate (one destination with ``:NAME``);
- thread-crash: an exception is raised inside the encoder, stream output, recording or stats thread
  of the live session, which must restart itself;
- disconnect / delayed-acks: the sandbox platform (``--demo`` only) drops its connections or answers late.

One schedule runs all of them and writes every transition into the window's journal, so a replay
shows each fault next to what the studio did. No Qt here: the window calls this from its workers.
"""

from __future__ import annotations

import logging
from typing import Any

from seller_studio.diagnostics.faults import (
    ALL_FAULTS,
    PLATFORM_FAULTS,
    Applier,
    Fault,
    FaultSchedule,
    FaultSpecError,
    WithholdingAudioSource,
    WithholdingVideoSource,
    camera_freeze_appliers,
    media_appliers,
    parse_simulate,
    start_relay,
    wrap_audio,  # noqa: F401 (re-exported: callers wrap their mic through this module)
    wrap_freezable,
)
from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)


def parse_for_window(spec: str | None, has_sandbox: bool) -> list[Fault]:
    """The window's faults, or FaultSpecError with one line (before the window opens)."""
    if not spec:
        return []
    faults = parse_simulate(spec, ALL_FAULTS)
    platform = sorted({f.kind for f in faults if f.kind in PLATFORM_FAULTS})
    if platform and not has_sandbox:
        raise FaultSpecError(tr_noop('--simulate: {value} need the sandbox platform: add --demo').format(value=' and '.join(platform)))
    return faults


def describe(faults: list[Fault]) -> str:
    """``camera-lost at 30 s for 10 s, net-drop at 60 s for 20 s`` — for the window's notice."""
    parts = []
    for f in faults:
        text = f"{f.kind} at {f.at_s:g} s"
        if f.rate_kbps:
            text += f" to {f.rate_kbps:g} kbps"
        if f.part:
            text += f" ({f.part})"
        if f.destination:
            text += f" on {f.destination}"
        if f.delay_ms:
            text += f" ({f.delay_ms:g} ms late)"
        if f.duration_s:
            text += f" for {f.duration_s:g} s"
        parts.append(text)
    return ", ".join(parts)


def camera_like_ids(specs: list[dict[str, Any]]) -> set[str]:
    """Sources that camera-lost withholds: the cameras, or the test patterns when there is none."""
    cameras = {s["id"] for s in specs if s.get("kind") == "camera"}
    return cameras or {s["id"] for s in specs if s.get("kind") == "test-pattern"}


def wrap_video(source: Any, faults: list[Fault], camera_ids: set[str]) -> Any:
    if source.id in camera_ids:
        source = wrap_freezable(source, faults)  # camera-freeze on the demo's test pattern
    if source.id in camera_ids and any(f.kind == "camera-lost" for f in faults):
        return WithholdingVideoSource(source)
    return source


class StudioFaults:
    """The faults of one window: route the stream (before it starts), then run the schedule."""

    def __init__(self, faults: list[Fault], platform_control: Any | None = None) -> None:
        self.faults = faults
        self.platform_control = platform_control  # SandboxProcess with fault control, for platform faults
        self.relays: dict[str, Any] = {}  # destination name -> its relay (net-drop)
        self.schedule: FaultSchedule | None = None

    @property
    def relay(self) -> Any:
        """The first relay (a show with one destination has one)."""
        return next(iter(self.relays.values()), None)

    @property
    def needs_relay(self) -> bool:
        return any(f.kind == "net-drop" for f in self.faults)

    def check_destinations(self, names: list[str]) -> None:
        """A fault naming a destination the show does not have is a bad spec: one line, before Go Live."""
        for fault in self.faults:
            if fault.destination is not None and fault.destination not in names:
                raise FaultSpecError(tr_noop("--simulate: {kind} names the destination '{destination}', which this "
                                             "show does not have (have: {have})").format(
                    kind=fault.kind, destination=fault.destination, have=", ".join(names) or "none"))

    def route(self, stream: Any) -> None:
        """Worker thread: with a net-drop for this destination (or for all), send its stream through
        a relay that can be cut. Call once per destination, before it connects."""
        if not any(f.kind == "net-drop" and f.destination in (None, stream.name) for f in self.faults):
            return
        if not hasattr(stream, "route_via"):
            # A WHIP destination: its media goes over UDP, which a TCP relay cannot carry or cut.
            if any(f.kind == "net-drop" and f.destination == stream.name for f in self.faults):
                raise FaultSpecError(tr_noop("--simulate: net-drop cannot cut the WHIP destination '{name}' (its media "
                                             "goes over UDP): use slow-uplink, or name another destination").format(
                    name=stream.name))
            log.info("net-drop: %s is a WHIP destination and is not cut", stream.name)
            return
        old = self.relays.pop(stream.name, None)
        if old is not None:
            old.close()
        relay, relayed = start_relay(stream.url)
        self.relays[stream.name] = relay
        stream.route_via("127.0.0.1", relay.port, relayed)

    def start(self, studio: Any, stream: Any, journal: Any) -> None:
        """At Go Live: build each fault's start/end on the current sources and start the clock.
        ``stream`` is the show's stream output, or the list of its destinations' outputs."""
        self.stop_schedule()
        videos = [s for s in studio.sources.values() if isinstance(s, WithholdingVideoSource)]
        channel = studio.mixer.channels.get("mic")
        audio = channel.source if channel is not None and isinstance(channel.source, WithholdingAudioSource) else None
        streams = stream if isinstance(stream, list) else [stream] if stream is not None else []
        appliers = media_appliers(videos, audio, dict(self.relays), streams, studio)
        appliers.update(camera_freeze_appliers(list(studio.sources.values())))
        if self.platform_control is not None:
            appliers.update(self.platform_appliers())
        self.schedule = FaultSchedule(self.faults, appliers, journal)
        self.schedule.start()

    def platform_appliers(self) -> dict[str, tuple[Applier, Applier | None]]:
        control = self.platform_control
        return {
            "disconnect": (lambda f: control.send_fault("disconnect"), None),
            "delayed-acks": (lambda f: control.send_fault(f"ack-delay-ms {f.delay_ms or 0:g}"),
                             lambda f: control.send_fault("ack-delay-ms 0")),
        }

    def stop_schedule(self) -> None:
        if self.schedule is not None:
            self.schedule.stop(restore=True)
            self.schedule = None

    def close_relay(self) -> None:
        relays, self.relays = self.relays, {}
        for relay in relays.values():
            relay.close()

    def close(self) -> None:
        self.stop_schedule()
        self.close_relay()
