"""The stats bus: typed per-second figures of a live session (and of each output), plus the
process figures in them (CPU %, resident memory) without extra dependencies."""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any

from seller_studio.media.outputs.bitrate import RatePlan


def rss_mb() -> float:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        except OSError:
            pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def process_age_s() -> float | None:
    """Seconds since this process started (Linux: from /proc), None where unknown."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return max(0.0, uptime_s - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU use of this process since the last call, in % of one core (200 % = two busy cores)."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def percent(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        value = 100.0 * (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return value


# -- the stats bus, typed --------------------------------------------------------------------------
# One SessionStats a second (LiveSession). ``to_dict()`` is the documented JSON shape of the journal's
# "stats" lines and of ``--stats FILE.jsonl``; ``from_dict()`` reads it back (replay, the window).


@dataclass(frozen=True)
class DropCounts:
    """Frames lost so far, by cause: the compositor fell behind, the encoder did, the network did."""

    render_lag: int = 0
    encode_lag: int = 0
    network: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"render_lag": self.render_lag, "encode_lag": self.encode_lag, "network": self.network}


@dataclass(frozen=True)
class CrashRecord:
    """A media thread's uncaught exception this session (supervision.py) and how fast it came back."""

    part: str
    thread: str
    error: str
    at_s: float  # seconds since the session started
    restarted_in_ms: float | None = None
    output: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"part": self.part, "thread": self.thread, "error": self.error, "at_s": self.at_s,
             "restarted_in_ms": self.restarted_in_ms}
        return {**d, "output": self.output} if self.output is not None else d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CrashRecord:
        return cls(d.get("part", "?"), d.get("thread", "?"), d.get("error", ""), float(d.get("at_s", 0.0)),
                   d.get("restarted_in_ms"), d.get("output"))


@dataclass(frozen=True)
class OutputStats:
    name: str
    kind: str  # "stream", "recording"
    state: str  # OutputState value

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "state": self.state}


@dataclass(frozen=True)
class StreamStats(OutputStats):
    url: str = ""
    send_buffer_ms: float = 0.0
    bitrate_sent_kbps: float = 0.0
    encoder_bitrate_kbps: int = 0  # the video bitrate of the current rate plan
    is_dynamic_bitrate: bool = False
    rate_plan: RatePlan | None = None
    link_kbps: int | None = None  # the measured uplink while the plan is fitted to it
    dropped_network: int = 0
    dropped_disconnect: int = 0
    reconnects: int = 0
    thread_crashes: int = 0
    attempt: int = 0
    retry_in_s: float | None = None
    bytes_sent: int = 0
    error: str | None = None
    stop_reason: str = "unset"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "url": self.url, "send_buffer_ms": self.send_buffer_ms,
                "bitrate_sent_kbps": self.bitrate_sent_kbps, "encoder_bitrate_kbps": self.encoder_bitrate_kbps,
                "is_dynamic_bitrate": self.is_dynamic_bitrate,
                "rate_plan": self.rate_plan.to_dict() if self.rate_plan else None, "link_kbps": self.link_kbps,
                "dropped_network": self.dropped_network, "dropped_disconnect": self.dropped_disconnect,
                "reconnects": self.reconnects, "thread_crashes": self.thread_crashes, "attempt": self.attempt,
                "retry_in_s": self.retry_in_s, "bytes_sent": self.bytes_sent, "error": self.error,
                "stop_reason": self.stop_reason}


@dataclass(frozen=True)
class RecordingStats(OutputStats):
    path: str = ""
    packets: int = 0
    bytes: int = 0
    queued: int = 0
    thread_crashes: int = 0
    error: str | None = None
    stop_reason: str = "unset"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "path": self.path, "packets": self.packets, "bytes": self.bytes,
                "queued": self.queued, "thread_crashes": self.thread_crashes, "error": self.error,
                "stop_reason": self.stop_reason}


def output_stats_from_dict(d: dict[str, Any]) -> OutputStats:
    base = {"name": d.get("name", ""), "kind": d.get("kind", ""), "state": d.get("state", "")}
    if d.get("kind") == "stream":
        plan = d.get("rate_plan")
        fields = {k: d[k] for k in StreamStats.__dataclass_fields__ if k in d and k not in base and k != "rate_plan"}
        return StreamStats(**base, **fields, rate_plan=RatePlan(plan["video_kbps"], plan["audio_kbps"],
                                                                plan.get("fps_divisor", 1), plan.get("link_kbps"))
                           if plan else None)
    if d.get("kind") == "recording":
        return RecordingStats(**base, **{k: d[k] for k in RecordingStats.__dataclass_fields__
                                         if k in d and k not in base})
    return OutputStats(**base)


@dataclass(frozen=True)
class Verdict:
    """The health row: good / warning / bad, what is wrong and what to do, in plain words."""

    level: str
    reason: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "reason": self.reason, "fix": self.fix}


@dataclass(frozen=True)
class SessionStats:
    t_s: float  # since go live
    wall_time: float
    fps: float  # frames encoded over the last second
    target_fps: float
    encode_ms_per_frame: float
    frames_encoded: int
    dropped: DropCounts
    cpu_percent: float
    rss_mb: float
    outputs: tuple[OutputStats, ...] = ()
    scene: str = ""
    frames_skipped_ladder: int = 0  # left out on purpose by a rate plan's frame step
    encoder_idle_s: float = 0.0
    thread_crashes: tuple[CrashRecord, ...] = ()  # recent ones (and any not back yet)
    thread_crashes_total: int = 0
    audio: dict[str, dict[str, float]] | None = None  # the mixer's levels per channel, in dB
    sources_lost: tuple[dict[str, str], ...] = ()  # {"id", "kind", "reason"} of sources not delivering
    camera_notices: tuple[str, ...] = ()  # "This camera gives 10 fps at 1920x1080 — choose ..."
    health: Verdict | None = None
    canvas: str = "landscape"  # "vertical": the stats of a studio's second canvas (one session each)
    # The shared encode's video bitrate now (one encode feeds every destination of the canvas; it
    # follows the destination with the most room, see session._choose_rate_plan).
    encoder_video_kbps: int = 0

    def streams(self) -> list[StreamStats]:
        return [o for o in self.outputs if isinstance(o, StreamStats)]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "t_s": self.t_s, "wall_time": self.wall_time, "fps": self.fps, "target_fps": self.target_fps,
            "encode_ms_per_frame": self.encode_ms_per_frame, "frames_encoded": self.frames_encoded,
            "dropped": self.dropped.to_dict(), "frames_skipped_ladder": self.frames_skipped_ladder,
            "encoder_idle_s": self.encoder_idle_s, "thread_crashes": [c.to_dict() for c in self.thread_crashes],
            "thread_crashes_total": self.thread_crashes_total, "cpu_percent": self.cpu_percent,
            "rss_mb": self.rss_mb, "scene": self.scene, "outputs": [o.to_dict() for o in self.outputs],
            "sources_lost": [dict(x) for x in self.sources_lost], "camera_notices": list(self.camera_notices),
            "encoder_video_kbps": self.encoder_video_kbps,
        }
        if self.audio is not None:
            d["audio"] = self.audio
        if self.health is not None:
            d["health"] = self.health.to_dict()
        if self.canvas != "landscape":
            d["canvas"] = self.canvas
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionStats:
        dropped = d.get("dropped") or {}
        health = d.get("health")
        return cls(
            t_s=d.get("t_s", 0.0), wall_time=d.get("wall_time", 0.0), fps=d.get("fps", 0.0),
            target_fps=d.get("target_fps", 0.0), encode_ms_per_frame=d.get("encode_ms_per_frame", 0.0),
            frames_encoded=d.get("frames_encoded", 0),
            dropped=DropCounts(dropped.get("render_lag", 0), dropped.get("encode_lag", 0), dropped.get("network", 0)),
            cpu_percent=d.get("cpu_percent", 0.0), rss_mb=d.get("rss_mb", 0.0),
            outputs=tuple(output_stats_from_dict(o) for o in d.get("outputs", [])), scene=d.get("scene", ""),
            frames_skipped_ladder=d.get("frames_skipped_ladder", 0), encoder_idle_s=d.get("encoder_idle_s", 0.0),
            thread_crashes=tuple(CrashRecord.from_dict(c) for c in d.get("thread_crashes", [])),
            thread_crashes_total=d.get("thread_crashes_total", 0), audio=d.get("audio"),
            sources_lost=tuple(d.get("sources_lost", [])), camera_notices=tuple(d.get("camera_notices", [])),
            health=Verdict(health["level"], health["reason"], health.get("fix", "")) if health else None,
            canvas=d.get("canvas", "landscape"),
            encoder_video_kbps=d.get("encoder_video_kbps", 0))
