"""From a seller's support bundle to a reproduction plan (no Qt): what ``seller-studio reproduce``
builds and the fault schedule it runs, derived from what the journal *observed*.

A seller's journal has no ``fault`` lines (nobody injected anything on the seller's night): the plan
reads the studio's own reactions instead and schedules the fault that causes the same reaction here:

- the stream output going ``reconnecting`` (attempt 1) and back ``live`` -> ``net-drop`` from the
  moment it went down until between the last failed and the successful reconnect attempt (so the
  reproduction comes back at the same attempt of the same backoff);
- a send buffer past 200 ms, frames dropped for congestion, or the bitrate lowered for the send
  buffer -> ``slow-uplink`` at the rate the link really carried while it was full;
- a camera going ``lost`` (the watchdog says so 1 s after the last frame) -> ``camera-lost``;
- the microphone lost -> ``mic-lost``;
- the platform connection going ``reconnecting`` -> ``disconnect``; acks answered late -> ``delayed-acks``.

Stand-ins: every video source becomes a test pattern at the size and fps the seller's source
delivered, the microphone a tone at its sample rate; canvas, encoder and bitrate are the seller's,
and so is the vertical canvas (its scenes over the same stand-ins; its own encode when it went live).
The plan prints as a ``--simulate`` spec a person can edit and rerun.

The journal's ``head``/``profile`` line (written at Go Live by ``describe_setup``) carries the scene
collection; bundles from before it existed reproduce from the go-live settings alone (a test pattern
full screen) and say which fields were missing.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.diagnostics.faults import Fault
from seller_studio.diagnostics.journal import read_journal
from seller_studio.i18n import tr_noop

BUNDLE_FORMAT = 1  # of the bundle's reproduction.json; a reader says what it missed, never refuses

# What the studio does between a cause and the reaction the journal shows (measured on nginx-rtmp).
CAMERA_LOST_AFTER_S = 1.0  # the capture watchdog's lost_after_s
CONGESTED_BUFFER_MS = 200.0  # the dynamic-bitrate threshold
# The most a capped link was seen to carry reads low (FFmpeg's 32 KB bursts, idle gaps while the plan
# is fitted): 364 and 377 kbps of a 400 kbps cap, 539 of a 600 kbps one.
LINK_READS_LOW = 0.92
MIN_DROPS_PER_TICK = 3  # fewer congestion drops in one stats second are a hiccup, not a slow link
SLOW_ACK_MS = 500.0  # a platform answer later than this was delayed on purpose or by the network
VERTICAL_DEFAULT_KBPS = 2500  # studio.settings.VerticalPrefs' default, for a journal that did not record it


class BundleError(UserError):
    pass


class DamagedBundleError(BundleError):
    exit_code = ExitCode.DAMAGED_BUNDLE


class NoJournalError(BundleError):
    exit_code = ExitCode.NO_JOURNAL


# -- what the journal records at Go Live ----------------------------------------------------------
def describe_setup(studio: Any, video: Any, destination: Any = None, vertical_video: Any = None) -> dict[str, Any]:
    """The scene collection as it went live: sources with kind and delivered mode, scenes with layers,
    the mic, canvas and encoder settings, the vertical canvas (``vertical_video``: its encode, when it
    goes live too), and where it streamed (ingest URL without the key, protocol, preset; never the
    key or its keyring entry). Written into the journal as ``head``/``profile`` (the journal's
    redactor runs over it as over every line)."""
    sources = []
    for source_id, source in list(studio.sources.items()):
        inner = getattr(source, "inner", source)
        try:
            info = inner.describe()
        except Exception:  # a describe() that fails must not stop Go Live
            info = {"id": source_id, "kind": getattr(inner, "kind", "?")}
        delivered = info.get("delivered") if isinstance(info.get("delivered"), dict) else None
        if delivered is None and info.get("width"):
            delivered = {"width": info.get("width"), "height": info.get("height"), "fps": info.get("fps")}
        sources.append({"id": source_id, "kind": str(getattr(inner, "kind", info.get("kind", "?"))),
                        "delivered": delivered, "requested": info.get("requested"), "mode": info.get("mode"),
                        "measured_fps": info.get("measured_fps")})
    scenes = _describe_scenes(studio.compositor)
    audio = None
    channel = studio.mixer.channels.get("mic") if getattr(studio, "mixer", None) is not None else None
    if channel is not None:
        inner = getattr(channel.source, "inner", channel.source)
        audio = {"kind": str(getattr(inner, "kind", "?")), "sample_rate": int(getattr(inner, "device_rate", 48000)),
                 "channels": int(getattr(inner, "_channels", 2))}
    return {"canvas": {"width": video.width, "height": video.height, "fps": video.fps},
            "encoder": {"name": getattr(video, "encoder", None), "bitrate_kbps": video.bitrate_kbps,
                        "preset": getattr(video, "preset", None),
                        "keyframe_interval_s": getattr(video, "keyframe_interval_s", None)},
            "sources": sources, "scenes": scenes, "active_scene": studio.compositor.active_scene, "audio": audio,
            "destination": _describe_destination(destination), **_describe_vertical(studio, vertical_video)}


def _describe_scenes(comp: Any) -> list[dict[str, Any]]:
    """The profile's own shape (studio/assembly.scene_to_json): layers bottom to top, rects in pixels."""
    scenes = []
    for name, scene in list(comp.scenes.items()):
        layers = [{"source_id": layer.source_id, "visible": layer.is_visible,
                   "rect": [layer.rect.x, layer.rect.y, layer.rect.w, layer.rect.h] if layer.rect else None,
                   "scale": getattr(layer.scale_mode, "value", None) or "auto"}
                  for layer in sorted(scene.layers, key=lambda layer: layer.z)]
        scenes.append({"name": name, "canvas": [comp.width, comp.height], "layers": layers})
    return scenes


def _describe_vertical(studio: Any, vertical_video: Any = None) -> dict[str, Any]:
    """The second (vertical) canvas, when the studio has one: its size and scenes, and whether it went
    live with its own encode (``live``, ``bitrate_kbps``). A reproduction rebuilds it as it was."""
    vertical = getattr(studio, "vertical", None)
    if vertical is None:
        return {}
    described = {"width": vertical.width, "height": vertical.height, "fps": vertical.fps,
                 "scenes": _describe_scenes(vertical), "active_scene": vertical.active_scene,
                 "live": vertical_video is not None}
    if vertical_video is not None:
        described["bitrate_kbps"] = vertical_video.bitrate_kbps
    return {"vertical_canvas": described}


def _describe_destination(destination: Any) -> dict[str, Any] | None:
    if destination is None:
        return None
    if isinstance(destination, str):  # a display URL (stream key already masked)
        url = destination
        return {"url": url, "protocol": url.split("://", 1)[0].lower() if "://" in url else ""}
    url = str(getattr(destination, "url", "") or "")
    return {"label": getattr(destination, "label", ""), "url": url,
            "protocol": url.split("://", 1)[0].lower() if "://" in url else "",
            "preset": getattr(destination, "preset", ""), "has_platform": bool(getattr(destination, "platform_url", ""))}


# -- the plan --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StandIn:
    """A seller's video source and the test pattern that stands in for it."""

    source_id: str
    original_kind: str
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class AudioStandIn:
    original_kind: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class PlatformCommand:
    """A command the seller's studio sent the platform, replayed at the same time (from Go Live) so
    that a delayed-acks fault has answers to delay."""

    at_s: float
    type: str
    data: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class VerticalCanvasPlan:
    """The seller's second (9:16) canvas: rebuilt over the same stand-ins, and streamed with its own
    encode to the local ingest when the seller's went live (``is_live``)."""

    width: int
    height: int
    bitrate_kbps: int
    scenes: list[dict[str, Any]] = field(hash=False, compare=False)
    is_live: bool


@dataclass
class ReproductionPlan:
    width: int
    height: int
    fps: int
    bitrate_kbps: int
    encoder: str
    preset: str
    keyframe_interval_s: float
    sources: list[StandIn]
    scenes: list[dict[str, Any]]  # {"name", "layers": [{"source_id", "rect", ...}]}
    active_scene: str | None
    audio: AudioStandIn | None
    faults: list[Fault]
    duration_s: float
    has_platform: bool
    missing: list[str] = field(default_factory=list)  # fields the bundle did not have
    notes: list[str] = field(default_factory=list)  # what was derived from what
    platform_commands: list[PlatformCommand] = field(default_factory=list)
    destination: dict[str, Any] | None = None  # where the seller streamed (no key), for the printout
    vertical: VerticalCanvasPlan | None = None  # the seller's second canvas, when there was one

    def spec(self) -> str:
        return format_spec(self.faults)

    def describe(self) -> str:
        lines = [f"canvas {self.width}x{self.height}@{self.fps}, {self.encoder} {self.preset} "
                 f"{self.bitrate_kbps} kbps, keyframe every {self.keyframe_interval_s:g} s; {self.duration_s:.0f} s live"]
        for s in self.sources:
            lines.append(f"  {s.source_id}: {s.original_kind} -> test pattern {s.width}x{s.height}@{s.fps:g}")
        if self.audio is not None:
            lines.append(f"  mic: {self.audio.original_kind} -> tone {self.audio.sample_rate} Hz "
                         f"{self.audio.channels} ch")
        lines.append(f"  scenes: {', '.join(sc['name'] for sc in self.scenes) or '(one full-screen pattern)'}"
                     + (f" (on air: {self.active_scene})" if self.active_scene else ""))
        if self.vertical is not None:
            v = self.vertical
            lines.append(f"  vertical canvas {v.width}x{v.height}@{self.fps}, "
                         + (f"{self.encoder} {v.bitrate_kbps} kbps, live" if v.is_live else "composed, not live"))
        if self.destination:
            d = self.destination
            lines.append(f"  destination: {d.get('label') or d.get('url')} ({d.get('protocol') or '?'}) -> "
                         "a local nginx-rtmp ingest")
        if self.has_platform:
            lines.append("  platform: the sandbox platform stands in for the seller's")
        return "\n".join(lines)


def _fmt_s(value: float) -> str:
    return f"{max(0.0, round(value, 1)):g}s"


def format_spec(faults: list[Fault]) -> str:
    """Faults as a ``--simulate`` spec (``parse_simulate(format_spec(f)) == f`` up to 0.1 s)."""
    parts = []
    for f in sorted(faults, key=lambda f: f.at_s):
        text = f"{f.kind}@{_fmt_s(f.at_s)}"
        if f.kind == "slow-uplink":
            text += f":{round(f.rate_kbps or 0):d}kbps"
        elif f.kind == "delayed-acks":
            text += f":{round(f.delay_ms or 0):d}ms"
        if f.duration_s is not None and f.kind != "disconnect":
            text += f":{_fmt_s(max(0.1, f.duration_s))}"
        parts.append(text)
    return ",".join(parts)


def go_live_time_s(entries: list[dict[str, Any]]) -> float:
    """Journal time of Go Live: the ``go_live`` action, else the session start, else the first stats."""
    for kind, name in (("action", "go_live"), ("media", "session_started")):
        for e in entries:
            if e.get("kind") == kind and e.get("name") == name:
                return float(e["t"])
    stats = [float(e["t"]) for e in entries if e.get("kind") == "stats"]
    return stats[0] - 1.0 if stats else 0.0


def _stream(stats: dict[str, Any]) -> dict[str, Any]:
    return next((o for o in stats.get("outputs") or [] if o.get("kind") == "stream"), {})


def derive_plan(entries: list[dict[str, Any]], speed: float = 1.0) -> ReproductionPlan:
    """The reproduction of one journal. ``speed`` > 1 compresses the schedule (see the CLI's caveat)."""
    t0 = go_live_time_s(entries)
    missing: list[str] = []
    notes: list[str] = []
    go_live = next((e.get("data") or {} for e in entries if e.get("kind") == "action" and e.get("name") == "go_live"),
                   None)
    profile = next((e.get("data") or {} for e in entries if e.get("kind") == "head" and e.get("name") == "profile"),
                   None)
    if go_live is None:
        missing.append("go_live settings")
        go_live = {}
    if profile is None:
        missing.append("profile (scenes, sources, delivered modes)")
        profile = {}
    canvas = profile.get("canvas") or {}
    enc = profile.get("encoder") or {}
    width = int(canvas.get("width") or go_live.get("width") or 1280)
    height = int(canvas.get("height") or go_live.get("height") or 720)
    fps = int(round(float(canvas.get("fps") or go_live.get("fps") or 30)))
    bitrate = int(enc.get("bitrate_kbps") or go_live.get("bitrate_kbps") or 2500)
    encoder = str(go_live.get("encoder") or enc.get("name") or "x264")
    encoder = "x264" if encoder in ("libx264", "h264") else encoder
    preset = str(enc.get("preset") or go_live.get("preset") or "veryfast")
    keyint = float(enc.get("keyframe_interval_s") or go_live.get("keyframe_interval_s") or 2.0)

    sources = []
    for s in profile.get("sources") or []:
        d = s.get("delivered") or s.get("requested") or {}
        if s.get("kind") in ("text", "image", "image-overlay"):
            continue  # drawn from the profile's own text/picture: not the seller's device; left out
        sources.append(StandIn(str(s["id"]), str(s.get("kind")), int(d.get("width") or width),
                               int(d.get("height") or height), float(d.get("fps") or s.get("measured_fps") or fps)))
    kept = {s.source_id for s in sources}
    scenes = []
    for sc in profile.get("scenes") or []:
        layers = [dict(layer) for layer in sc.get("layers") or [] if layer.get("source_id") in kept]
        scenes.append({"name": str(sc.get("name")), "layers": layers})
    if not sources:
        sources = [StandIn("camera", "camera", width, height, float(fps))]
        scenes = [{"name": "single", "layers": [{"source_id": "camera", "rect": None}]}]
    audio_raw = profile.get("audio")
    audio = None
    if audio_raw:
        audio = AudioStandIn(str(audio_raw.get("kind")), int(audio_raw.get("sample_rate") or 48000),
                             int(audio_raw.get("channels") or 2))
    elif profile == {}:
        audio = AudioStandIn("unknown", 48000, 2)  # old bundle: streams of that time always had sound

    vertical = _vertical_canvas(profile, entries, kept, notes)
    faults = derive_faults(entries, t0, bitrate, notes)
    if speed != 1.0:
        faults = [Fault(f.kind, f.at_s / speed, None if f.duration_s is None else f.duration_s / speed,
                        f.rate_kbps, f.delay_ms) for f in faults]
    end_t = max([float(e["t"]) for e in entries if e.get("kind") in ("stats", "action")] or [t0])
    end_show = [float(e["t"]) for e in entries if e.get("kind") == "action" and e.get("name") == "end_show"]
    duration_s = max(1.0, (min(end_show) if end_show else end_t) - t0) / speed
    has_platform = any(e.get("kind", "").startswith("platform_") for e in entries)
    commands = [PlatformCommand(round((float(e["t"]) - t0) / speed, 3), str(e.get("name")), dict(e.get("data") or {}))
                for e in entries if e.get("kind") == "platform_out" and float(e["t"]) >= t0]
    if commands:
        notes.append(f"platform: {len(commands)} commands the studio sent are sent again at the same times")
    return ReproductionPlan(width, height, fps, bitrate, encoder, preset, keyint, sources, scenes,
                            profile.get("active_scene"), audio, faults, round(duration_s, 1), has_platform,
                            missing, notes, commands,
                            profile.get("destination") if isinstance(profile.get("destination"), dict) else None,
                            vertical)


def _vertical_canvas(profile: dict[str, Any], entries: list[dict[str, Any]], kept: set[str],
                     notes: list[str]) -> VerticalCanvasPlan | None:
    """The seller's vertical canvas from the profile the journal recorded. A journal from before
    ``live`` was recorded counts it live if the vertical canvas's stats ticks (``canvas_stats``) are
    in it, at the best bitrate they show."""
    raw = profile.get("vertical_canvas")
    if not isinstance(raw, dict):
        return None
    try:
        width, height = int(raw.get("width") or 0), int(raw.get("height") or 0)
    except (TypeError, ValueError):
        width = height = 0
    if width <= 0 or height <= 0:
        if raw:
            notes.append("vertical canvas: its size is not readable; only the landscape canvas is rebuilt")
        return None
    ticks = [d for e in entries if e.get("kind") == "canvas_stats" and isinstance(d := e.get("data"), dict)]
    is_live = bool(raw["live"]) if isinstance(raw.get("live"), bool) else bool(ticks)
    bitrate = raw.get("bitrate_kbps")
    if not isinstance(bitrate, int) or isinstance(bitrate, bool) or bitrate <= 0:
        seen = [_whole_kbps(o.get("encoder_bitrate_kbps")) for d in ticks
                for o in (d.get("outputs") if isinstance(d.get("outputs"), list) else []) if isinstance(o, dict)]
        most = max(seen, default=0)
        bitrate = most or VERTICAL_DEFAULT_KBPS
        if is_live:
            notes.append(f"vertical canvas: its bitrate was not recorded; {bitrate} kbps "
                         + ("(the most its stats show)" if most else "(the default)"))
    scenes = []
    for sc in raw.get("scenes") if isinstance(raw.get("scenes"), list) else []:
        if isinstance(sc, dict) and isinstance(sc.get("layers") or [], list):
            layers = [dict(layer) for layer in sc.get("layers") or []
                      if isinstance(layer, dict) and layer.get("source_id") in kept]
            scenes.append({"name": str(sc.get("name")), "canvas": sc.get("canvas") or [width, height],
                           "layers": layers})
    return VerticalCanvasPlan(width, height, bitrate, scenes, is_live)


def _whole_kbps(value: Any) -> int:
    """A journaled bitrate as whole kbps; 0 for anything that is not a number."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def derive_faults(entries: list[dict[str, Any]], t0: float, bitrate_kbps: int,
                  notes: list[str] | None = None) -> list[Fault]:
    """The fault schedule that makes the studio react as the journal shows (times from Go Live)."""
    notes = notes if notes is not None else []
    faults: list[Fault] = []
    faults += _net_drops(entries, t0, notes)
    faults += _slow_uplinks(entries, t0, bitrate_kbps, notes, faults)
    faults += _source_losses(entries, t0, notes)
    faults += _platform_faults(entries, t0, notes)
    return sorted(faults, key=lambda f: f.at_s)


def _net_drops(entries: list[dict[str, Any]], t0: float, notes: list[str]) -> list[Fault]:
    faults = []
    down_at: float | None = None
    connecting: list[float] = []
    for e in entries:
        d = e.get("data") or {}
        if e.get("kind") != "media" or e.get("name") != "output_state" or d.get("kind") != "stream":
            continue
        t, state = float(e["t"]), d.get("state")
        if state == "reconnecting" and down_at is None:
            down_at, connecting = t, []
        elif state == "connecting" and down_at is not None:
            connecting.append(t)
        elif state in ("live", "stopped", "failed") and down_at is not None:
            if state == "live":
                # Back up between the last failed attempt and the one that worked: the same attempt wins here.
                last_try = connecting[-1] if connecting else t
                earlier = [c for c in connecting[:-1]]
                up_at = (earlier[-1] + last_try) / 2 if earlier else last_try - 0.3
                up_at = max(up_at, down_at + 0.2)
            else:
                up_at = t  # the show ended while down: down until the end
            faults.append(Fault("net-drop", round(down_at - t0, 1), round(up_at - down_at, 1)))
            notes.append(f"net-drop: stream reconnecting at {down_at - t0:.1f} s, "
                         + (f"live again at {t - t0:.1f} s" if state == "live" else "never back before the end"))
            down_at = None
    return faults


def _buffer_in(reason: str) -> float | None:
    m = re.search(r"send buffer (\d+(?:\.\d+)?) ms", reason)
    return float(m.group(1)) if m else None


def _slow_uplinks(entries: list[dict[str, Any]], t0: float, bitrate_kbps: int, notes: list[str],
                  drops: list[Fault]) -> list[Fault]:
    """Congested stretches: a send buffer past 200 ms, congestion drops, the bitrate lowered for the
    buffer (or a raise undone) — also right after a reconnect, when the link really was that slow. The
    rate is the most the link carried while full or dropping (the studio's own uplink measurement, or
    the bitrate sent) over ``LINK_READS_LOW``. The stretch
    starts when the buffer began to fill (its size over how fast it grew) and lasts until just before the
    first raise that sent more than that rate and held: the raises in between fitted under it alike.
    A link the studio fitted under and never saw room on again stays capped to the end."""

    # (t, buffer ms then, link or sent kbps while full; minus the sent kbps while only dropping; 0)
    evidence: list[tuple[float, float, float]] = []
    raises: list[tuple[float, float]] = []  # (t, video + audio kbps) of raises ("buffer drained")
    lowered: list[float] = []  # times the studio lowered (or undid a raise) for the send buffer
    undone: list[float] = []  # times a raise did not fit and was undone: the link still had no room
    sent_before: list[tuple[float, float]] = []  # (t, sent kbps) of healthy live ticks
    last_net = 0
    for e in entries:
        d = e.get("data") or {}
        t = float(e["t"])
        if e.get("kind") == "media" and e.get("name") == "bitrate_changed":
            reason = str(d.get("reason", ""))
            buffered = _buffer_in(reason)
            if buffered is not None:
                evidence.append((t, buffered, float(d.get("link_kbps") or 0)))
                lowered.append(t)
                if "undone" in reason:
                    undone.append(t)
            elif "drained" in reason or "raise" in reason:
                raises.append((t, float(d.get("bitrate_kbps") or 0) + float(d.get("audio_kbps") or 0)))
        elif e.get("kind") == "stats":
            o = _stream(d)
            if not o:
                continue
            net = int(o.get("dropped_network", 0) or 0)
            if o.get("state") == "live":
                buffered = float(o.get("send_buffer_ms", 0) or 0)
                sent = float(o.get("bitrate_sent_kbps", 0) or 0)
                # A frame or two dropped once is a hiccup, not a slow link.
                if buffered > CONGESTED_BUFFER_MS or net - last_net >= MIN_DROPS_PER_TICK:
                    # What went out while the link was full (a reading of the link), or only dropping (a hint).
                    evidence.append((t, buffered, sent if buffered > CONGESTED_BUFFER_MS else -sent))
                elif buffered == 0 and net == last_net:
                    sent_before.append((t, sent))
            last_net = net
    evidence.sort()
    groups: list[list[tuple[float, float, float]]] = []
    for item in evidence:
        # A raise undone (however long after) means the cap never lifted: the same stretch goes on.
        if groups and (item[0] - groups[-1][-1][0] <= 10.0 or item[0] in undone):
            groups[-1].append(item)
        else:
            groups.append([item])
    faults = []
    for group in groups:
        reads = [k for _, _, k in group if k > 0]
        hints = [-k for _, _, k in group if k < 0]
        if reads:
            rate = max(reads) / LINK_READS_LOW
        elif hints:  # dropping with an empty buffer (e.g. right after a reconnect): the typical second
            rate = statistics.median(hints) / LINK_READS_LOW
        else:
            rate = bitrate_kbps * 0.5
        first_t, first_buffer, _ = group[0]
        before = [s for t, s in sent_before if t < first_t]
        growth = max(0.1, 1.0 - rate / before[-1]) if before and before[-1] > rate else 0.5
        start = first_t - (first_buffer / 1000.0) / growth if first_buffer > 0 else first_t - 1.0
        last = group[-1][0]
        # A raise past the rate that held (no undo within 10 s of it) shows the link had room again.
        over = [t for t, total in raises if t > last and total > rate and not any(t < u <= t + 10 for u in undone)]
        was_lowered = any(group[0][0] - 0.01 <= t <= last for t in lowered)
        later = [g[0][0] for g in groups if g[0][0] > last]
        end: float | None
        if over:
            end, why = over[0] - 0.5, f"a raise past it held at {over[0] - t0:.1f} s"
        elif was_lowered:
            # Fitted under the link and never shown to have room again: capped until the next
            # congestion or the end of the show.
            end = later[0] - 1.0 if later else None
            why = "no raise past it held" + ("" if later else ": capped until the end")
        else:
            end, why = last + 1.0, f"last congested at {last - t0:.1f} s"
        faults.append(Fault("slow-uplink", round(max(0.0, start - t0), 1),
                            None if end is None else round(max(1.0, end - start), 1),
                            rate_kbps=float(max(10, round(rate / 10) * 10))))
        notes.append(f"slow-uplink: congested from {start - t0:.1f} s; the link carried "
                     f"{rate * LINK_READS_LOW:.0f} kbps while full or dropping; {why}")
    return faults


def _source_losses(entries: list[dict[str, Any]], t0: float, notes: list[str]) -> list[Fault]:
    faults = []
    cam_lost: dict[str, float] = {}
    mic_lost: float | None = None
    end_t = max([float(e["t"]) for e in entries] or [t0])
    camera_windows: list[tuple[float, float]] = []
    for e in entries:
        d = e.get("data") or {}
        t = float(e["t"])
        if e.get("kind") != "media":
            continue
        if e.get("name") == "source_state":
            sid = str(d.get("source_id"))
            if d.get("state") == "lost" and sid not in cam_lost:
                cam_lost[sid] = t
            elif d.get("state") in ("live", "stopped") and sid in cam_lost:
                camera_windows.append((cam_lost.pop(sid) - CAMERA_LOST_AFTER_S, t))
        elif e.get("name") == "mic_state":
            if d.get("is_lost") and mic_lost is None:
                mic_lost = t
            elif not d.get("is_lost") and mic_lost is not None:
                faults.append(Fault("mic-lost", round(mic_lost - t0, 1), round(max(0.1, t - mic_lost), 1)))
                notes.append(f"mic-lost: the microphone stopped delivering at {mic_lost - t0:.1f} s")
                mic_lost = None
    camera_windows += [(t - CAMERA_LOST_AFTER_S, end_t) for t in cam_lost.values()]
    # camera-lost withholds every camera at once: overlapping losses are one fault.
    merged: list[list[float]] = []
    for start, end in sorted(camera_windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        faults.append(Fault("camera-lost", round(max(0.0, start - t0), 1), round(max(0.1, end - start), 1)))
        notes.append(f"camera-lost: a camera stopped delivering at {start - t0:.1f} s "
                     f"(said lost {CAMERA_LOST_AFTER_S:g} s later)")
    if mic_lost is not None:
        faults.append(Fault("mic-lost", round(mic_lost - t0, 1), None))
    return faults


def _platform_faults(entries: list[dict[str, Any]], t0: float, notes: list[str]) -> list[Fault]:
    """Platform drops; and runs of answers later than SLOW_ACK_MS, each from midway between the last
    prompt answer and the first late one to midway between the last late one and the next prompt one."""
    faults = []
    connected_once = False
    down = False
    acks: list[tuple[float, float]] = []  # (t sent, latency ms)
    for e in entries:
        kind, name, d, t = e.get("kind"), str(e.get("name")), e.get("data") or {}, float(e["t"])
        if kind == "platform_state":
            if name == "connected":
                connected_once, down = True, False
            elif name in ("reconnecting", "disconnected") and connected_once and not down and t >= t0:
                down = True
                faults.append(Fault("disconnect", round(t - t0, 1)))
                notes.append(f"disconnect: the platform connection dropped at {t - t0:.1f} s")
        elif kind == "platform_ack" and t >= t0 and d.get("latency_ms") is not None:
            latency = float(d["latency_ms"])
            acks.append((t - latency / 1000, latency))
    acks.sort()
    run: list[tuple[float, float]] = []
    prompt_before: float | None = None
    for sent, latency in acks + [(float("inf"), 0.0)]:
        if latency > SLOW_ACK_MS:
            run.append((sent, latency))
            continue
        if run:
            first, last = run[0][0], run[-1][0]
            start = (prompt_before + first) / 2 if prompt_before is not None else first - 0.5
            end = (last + sent) / 2 if sent != float("inf") else last + 1.0
            delay = statistics.median(latency for _, latency in run)
            faults.append(Fault("delayed-acks", round(max(0.0, start - t0), 1), round(max(0.1, end - start), 1),
                                delay_ms=float(round(delay / 50) * 50)))
            notes.append(f"delayed-acks: {len(run)} platform answers took ~{delay:.0f} ms from {first - t0:.1f} s")
            run = []
        prompt_before = sent
    return faults


# -- reading a bundle ------------------------------------------------------------------------------
@dataclass
class BundleSession:
    """The journal chosen from a bundle, with what the bundle said about it."""

    name: str
    entries: list[dict[str, Any]]
    bundle_version: str | None
    has_reproduction_manifest: bool
    devices: Any = None
    missing: list[str] = field(default_factory=list)


def load_session(path: Path, journal: str | None = None) -> BundleSession:
    """The journal of a bundle (the richest live session, or ``journal``), or one line and its own code:
    damaged zip (``DamagedBundleError``), no journal (``NoJournalError``)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(tr_noop('{path}: no such file').format(path=path), ExitCode.BAD_INPUT_FILE)
    if path.suffix == ".jsonl":
        entries = read_journal(path.read_text(encoding="utf-8", errors="replace"))
        if not entries:
            raise NoJournalError(tr_noop('{path} is not a journal (no journal lines in it)').format(path=path))
        return BundleSession(path.name, entries, None, False, missing=["reproduction.json (a bare journal)"])
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise DamagedBundleError(tr_noop('{path} is damaged ({bad} fails its checksum); ask for a new bundle').format(path=path, bad=bad))
            journals: dict[str, list[dict[str, Any]]] = {}
            for info in zf.infolist():
                if info.filename.endswith(".jsonl"):
                    entries = read_journal(zf.read(info).decode("utf-8", "replace"))
                    if entries and entries[0].get("kind") == "head":
                        journals[info.filename] = entries
            manifest = json.loads(zf.read("reproduction.json")) if "reproduction.json" in zf.namelist() else None
            bundle_manifest = json.loads(zf.read("manifest.json")) if "manifest.json" in zf.namelist() else {}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, ValueError, OSError) as exc:
        if isinstance(exc, UserError):
            raise
        raise DamagedBundleError(tr_noop('{path} is not a readable support bundle (damaged zip: {exc})').format(path=path, exc=exc)) from None
    live = {n: e for n, e in journals.items() if any(x.get("kind") == "stats" for x in e)}
    if not live:
        what = tr_noop("no journal") if not journals else tr_noop("no journal of a live session (no stats in any)")
        raise NoJournalError(tr_noop('{path} has {what}: nothing to reproduce (was the seller live when it was made?)').format(path=path, what=what))
    if journal is not None:
        matches = [n for n in live if n == journal or n.endswith("/" + journal)]
        if not matches:
            raise NoJournalError(tr_noop("no live journal '{journal}' in {path} (have: {value})").format(journal=journal, path=path, value=', '.join(live)))
        name = matches[0]
    else:
        name = max(live, key=lambda n: sum(1 for x in live[n] if x.get("kind") == "stats"))
    missing = []
    version = (manifest or {}).get("version") or bundle_manifest.get("version")
    devices = None
    if manifest is None:
        missing.append("reproduction.json (bundle made before reproduce existed)")
    else:
        if int(manifest.get("format", 0)) > BUNDLE_FORMAT:
            missing.append(f"format {manifest.get('format')} is newer than this reader's {BUNDLE_FORMAT}: "
                           "fields it added are ignored")
        devices = manifest.get("devices")
    return BundleSession(name, live[name], version, manifest is not None, devices, missing)


def reproduction_manifest(journals: dict[str, list[dict[str, Any]]], devices: Any, version: str) -> dict[str, Any]:
    """The bundle's ``reproduction.json``: per live journal its profile, settings and stats timeline."""
    sessions = []
    for name, entries in journals.items():
        stats = [e for e in entries if e.get("kind") == "stats"]
        if not stats:
            continue
        profile = next((e.get("data") for e in entries if e.get("kind") == "head" and e.get("name") == "profile"), None)
        go_live = next((e.get("data") for e in entries if e.get("kind") == "action" and e.get("name") == "go_live"),
                       None)
        t0 = go_live_time_s(entries)
        timeline = [{"t_s": round(float(e["t"]) - t0, 2), "fps": (e.get("data") or {}).get("fps"),
                     "health": ((e.get("data") or {}).get("health") or {}).get("level"),
                     "sent_kbps": _stream(e.get("data") or {}).get("bitrate_sent_kbps"),
                     "encoder_kbps": _stream(e.get("data") or {}).get("encoder_bitrate_kbps"),
                     "buffer_ms": _stream(e.get("data") or {}).get("send_buffer_ms"),
                     "state": _stream(e.get("data") or {}).get("state")} for e in stats]
        sessions.append({"journal": name, "profile": profile, "go_live": go_live, "stats_timeline": timeline})
    return {"format": BUNDLE_FORMAT, "version": version, "devices": devices, "sessions": sessions}


def journals_in_texts(texts: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name, text in texts.items():
        if name.endswith(".jsonl"):
            entries = read_journal(io.StringIO(text).read())
            if entries and entries[0].get("kind") == "head":
                out[name] = entries
    return out
