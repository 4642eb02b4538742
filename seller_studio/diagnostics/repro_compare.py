"""Original vs reproduced journal (no Qt): did ``seller-studio reproduce`` re-create the seller's night?

Both journals are summed up the same way — health verdicts over time, reconnects and how long each
took, frames dropped by cause, bitrate steps — and compared: the verdict sequences must be the same
verdicts in the same order, each starting within ``VERDICT_TOLERANCE_S``; reconnect counts equal;
the dropped-frame percentage within ``DROPPED_TOLERANCE_PTS``. ``report_text`` is the one-page report;
the replay window plots the same ``Comparison``. Verdicts are compared over the time both sessions
were live: one that starts in the other session's last second or after it ended is not compared.

A verdict here is the problem the health row named, grouped as a seller reads it (connection lost,
upload too slow or struggling or bitrate lowered, a source lost, computer/encoder overloaded, healthy).
A verdict shorter than ``MIN_VERDICT_S`` is flicker (one tick between two states) and is folded into
its neighbours on both sides alike.

The machine's own load is not part of the plan (no fault makes a computer slow): "computer
overloaded" seconds and the frames skipped for render or encode lag are reported on both sides but
not compared — they say how busy each machine was. The compared verdicts are the others (an
overloaded tick counts as healthy there), and the compared dropped-frame percentage is the frames
the faults dropped (congestion and disconnect).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seller_studio.diagnostics.reproduce import SLOW_ACK_MS, go_live_time_s

VERDICT_TOLERANCE_S = 2.0
DROPPED_TOLERANCE_PTS = 5.0
MIN_VERDICT_S = 2.0


def verdict_group(health: dict[str, Any]) -> str:
    reason = str(health.get("reason", ""))
    level = health.get("level")
    if level == "good":
        return "healthy"
    if reason.startswith(("Connection lost", "Not live")):
        return "connection lost"
    if reason.startswith(("Upload", "Bitrate lowered", "Your upload")):
        return "upload too slow"
    if reason.startswith(("Encoder overloaded", "Computer too busy", "CPU at")):
        return "computer overloaded"
    if "internal error" in reason or "stopped responding" in reason:
        return "internal error"
    if "lost" in reason or "stopped delivering" in reason or "frozen" in reason:
        return "source lost"
    return "other warning"


@dataclass(frozen=True)
class Verdict:
    start_s: float  # from Go Live
    end_s: float
    group: str
    worst_level: str


@dataclass(frozen=True)
class Reconnect:
    down_s: float
    up_s: float | None  # None: not back before the end

    @property
    def duration_s(self) -> float | None:
        return None if self.up_s is None else self.up_s - self.down_s


@dataclass
class SessionSummary:
    verdicts: list[Verdict]
    reconnects: list[Reconnect]
    dropped: dict[str, int]  # render_lag, encode_lag, network (congestion), disconnect
    frames_encoded: int
    bitrate_steps: list[tuple[float, int]]  # (t from Go Live, kbps)
    duration_s: float
    sources_lost_s: list[tuple[float, float]] = field(default_factory=list)
    mic_lost_s: list[tuple[float, float]] = field(default_factory=list)
    platform_drops_s: list[float] = field(default_factory=list)
    series: list[tuple[float, float, float, str]] = field(default_factory=list)  # (t, sent kbps, buffer ms, level)

    overloaded_s: float = 0.0  # seconds the health row said the computer was overloaded
    slow_acks_s: list[float] = field(default_factory=list)  # platform answers later than SLOW_ACK_MS (sent at)

    @property
    def frames_made(self) -> int:
        return self.frames_encoded + self.dropped.get("render_lag", 0) + self.dropped.get("encode_lag", 0)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def dropped_pct(self) -> float:
        """Frames the faults dropped (congestion, disconnect), as a share of the frames made."""
        fault = self.dropped.get("network", 0) + self.dropped.get("disconnect", 0)
        return 100.0 * fault / self.frames_made if self.frames_made else 0.0

    @property
    def load_dropped_pct(self) -> float:
        """Frames this machine's load skipped (render and encode lag)."""
        load = self.dropped.get("render_lag", 0) + self.dropped.get("encode_lag", 0)
        return 100.0 * load / self.frames_made if self.frames_made else 0.0


def summarize(entries: list[dict[str, Any]]) -> SessionSummary:
    t0 = go_live_time_s(entries)
    ticks: list[tuple[float, str, str]] = []
    last: dict[str, Any] = {}
    series = []
    reconnects: list[Reconnect] = []
    down: float | None = None
    steps: list[tuple[float, int]] = []
    lost: dict[str, float] = {}
    sources_lost: list[tuple[float, float]] = []
    mic_since: float | None = None
    mic_lost: list[tuple[float, float]] = []
    platform_drops: list[float] = []
    connected = False
    overloaded = 0.0
    slow_acks: list[float] = []
    for e in entries:
        kind, name, d, t = e.get("kind"), e.get("name"), e.get("data") or {}, float(e["t"]) - t0
        if kind == "stats":
            health = d.get("health") or {}
            group = verdict_group(health)
            if group == "computer overloaded":  # the machine's load: reported, not compared
                overloaded += 1.0
                group, health = "healthy", {"level": "good"}
            ticks.append((t, group, str(health.get("level", "good"))))
            o = next((x for x in d.get("outputs") or [] if x.get("kind") == "stream"), {})
            series.append((t, float(o.get("bitrate_sent_kbps", 0) or 0), float(o.get("send_buffer_ms", 0) or 0),
                           str(health.get("level", ""))))
            last = d
        elif kind == "media" and name == "output_state" and d.get("kind") == "stream":
            if d.get("state") == "reconnecting" and down is None:
                down = t
            elif d.get("state") == "live" and down is not None:
                reconnects.append(Reconnect(down, t))
                down = None
        elif kind == "media" and name == "bitrate_changed":
            steps.append((t, int(d.get("bitrate_kbps", 0))))
        elif kind == "media" and name == "source_state":
            sid = str(d.get("source_id"))
            if d.get("state") == "lost" and sid not in lost:
                lost[sid] = t
            elif d.get("state") in ("live", "stopped") and sid in lost:
                sources_lost.append((lost.pop(sid), t))
        elif kind == "media" and name == "mic_state":
            if d.get("is_lost") and mic_since is None:
                mic_since = t
            elif not d.get("is_lost") and mic_since is not None:
                mic_lost.append((mic_since, t))
                mic_since = None
        elif kind == "platform_ack" and float(d.get("latency_ms") or 0) > SLOW_ACK_MS:
            slow_acks.append(round(t - float(d["latency_ms"]) / 1000, 3))
        elif kind == "platform_state":
            if name == "connected":
                connected = True
            elif name in ("reconnecting", "disconnected") and connected:
                platform_drops.append(t)
                connected = False
    if down is not None:
        reconnects.append(Reconnect(down, None))
    end = ticks[-1][0] if ticks else 0.0
    o = next((x for x in last.get("outputs") or [] if x.get("kind") == "stream"), {})
    dropped_raw = last.get("dropped") or {}
    dropped = {"render_lag": int(dropped_raw.get("render_lag", 0) or 0),
               "encode_lag": int(dropped_raw.get("encode_lag", 0) or 0),
               "network": int(dropped_raw.get("network", 0) or 0),
               "disconnect": int(o.get("dropped_disconnect", 0) or 0)}
    for since in lost.values():
        sources_lost.append((since, end))
    if mic_since is not None:
        mic_lost.append((mic_since, end))
    return SessionSummary(verdict_runs(ticks), reconnects, dropped, int(last.get("frames_encoded", 0) or 0),
                          steps, end, sorted(sources_lost), mic_lost, platform_drops, series, overloaded,
                          sorted(slow_acks))


_LEVELS = {"good": 0, "warning": 1, "bad": 2}


def verdict_runs(ticks: list[tuple[float, str, str]]) -> list[Verdict]:
    """One-second ticks -> runs of the same verdict; runs shorter than MIN_VERDICT_S fold into the one before."""
    runs: list[list[Any]] = []  # [start, end, group, worst level, ticks]
    for t, group, level in ticks:
        if runs and runs[-1][2] == group:
            runs[-1][1] = t
            runs[-1][4] += 1
            if _LEVELS.get(level, 0) > _LEVELS.get(runs[-1][3], 0):
                runs[-1][3] = level
        else:
            runs.append([t, t, group, level, 1])
    merged: list[list[Any]] = []
    for run in runs:
        short = run[4] * 1.0 < MIN_VERDICT_S
        if merged and (short or merged[-1][2] == run[2]):
            merged[-1][1] = run[1]
            merged[-1][4] += run[4]
            continue
        merged.append(list(run))
    # A short first run (e.g. one healthy tick before the first problem) stays: it is the start.
    out: list[Verdict] = []
    for run in merged:
        if out and out[-1].group == run[2]:
            out[-1] = Verdict(out[-1].start_s, run[1], run[2], max(out[-1].worst_level, run[3], key=_LEVELS.get))
        else:
            out.append(Verdict(round(run[0], 2), round(run[1], 2), run[2], run[3]))
    return out


@dataclass
class Comparison:
    original: SessionSummary
    reproduced: SessionSummary
    verdicts_match: bool
    verdict_offsets_s: list[float]  # reproduced start - original start, pairwise (when the groups agree)
    reconnects_match: bool
    dropped_pct_diff: float
    disagreements: list[str]
    losses_match: bool = True  # sources, mic and platform connection lost the same times, each within 2 s
    speed: float = 1.0  # the reproduction ran its schedule this much faster

    @property
    def is_match(self) -> bool:
        return (self.verdicts_match and self.reconnects_match and self.losses_match
                and abs(self.dropped_pct_diff) <= DROPPED_TOLERANCE_PTS)

    def figures(self) -> dict[str, Any]:
        o, r = self.original, self.reproduced
        return {"verdicts_original": [v.group for v in o.verdicts], "verdicts_reproduced": [v.group for v in r.verdicts],
                "max_verdict_offset_s": round(max((abs(x) for x in self.verdict_offsets_s), default=0.0), 2),
                "reconnects": [len(o.reconnects), len(r.reconnects)],
                "dropped_pct": [round(o.dropped_pct, 1), round(r.dropped_pct, 1)],
                "load_dropped_pct": [round(o.load_dropped_pct, 1), round(r.load_dropped_pct, 1)],
                "match": self.is_match}


def compare(original: list[dict[str, Any]] | SessionSummary,
            reproduced: list[dict[str, Any]] | SessionSummary, speed: float = 1.0) -> Comparison:
    o = original if isinstance(original, SessionSummary) else summarize(original)
    r = reproduced if isinstance(reproduced, SessionSummary) else summarize(reproduced)
    disagreements = []
    # A verdict that starts when the other session had already ended (the last second of either)
    # cannot be compared: the sessions are judged over the time both were live.
    horizon_s = min(o.duration_s / speed, r.duration_s) - 1.0
    o_verdicts = [v for v in o.verdicts if v.start_s / speed <= horizon_s] or o.verdicts[:1]
    r_verdicts = [v for v in r.verdicts if v.start_s <= horizon_s] or r.verdicts[:1]
    og, rg = [v.group for v in o_verdicts], [v.group for v in r_verdicts]
    offsets: list[float] = []
    verdicts_match = og == rg
    if verdicts_match:
        for a, b in zip(o_verdicts, r_verdicts, strict=True):
            offset = b.start_s - a.start_s / speed
            offsets.append(round(offset, 2))
            if abs(offset) > VERDICT_TOLERANCE_S:
                verdicts_match = False
                disagreements.append(f"'{a.group}' starts {offset:+.1f} s off (at {a.start_s:.1f} s originally, "
                                     f"{b.start_s:.1f} s here)")
    else:
        disagreements.append(f"verdicts differ: originally {' > '.join(og)}; reproduced {' > '.join(rg)}")
    reconnects_match = len(o.reconnects) == len(r.reconnects)
    losses_match = True
    if not reconnects_match:
        disagreements.append(f"reconnects: {len(o.reconnects)} originally, {len(r.reconnects)} reproduced")
    # Losses the health row does not judge (the mic) or judges with others: the same ones, each within 2 s.
    for what, original_s, ours in (("source lost", [a for a, _ in o.sources_lost_s], [a for a, _ in r.sources_lost_s]),
                                   ("microphone lost", [a for a, _ in o.mic_lost_s], [a for a, _ in r.mic_lost_s]),
                                   ("platform disconnect", o.platform_drops_s, r.platform_drops_s),
                                   ("late platform answer", o.slow_acks_s, r.slow_acks_s)):
        theirs = [t / speed for t in original_s]
        if len(theirs) != len(ours):
            disagreements.append(f"{what}: {len(theirs)} originally, {len(ours)} reproduced")
            losses_match = False
        elif any(abs(a - b) > VERDICT_TOLERANCE_S for a, b in zip(theirs, ours, strict=True)):
            disagreements.append(f"{what}: at {', '.join(f'{t:.1f}' for t in theirs)} s originally, "
                                 f"{', '.join(f'{t:.1f}' for t in ours)} s reproduced")
            losses_match = False
    diff = r.dropped_pct - o.dropped_pct
    if abs(diff) > DROPPED_TOLERANCE_PTS:
        disagreements.append(f"dropped frames: {o.dropped_pct:.1f}% originally, {r.dropped_pct:.1f}% reproduced")
    return Comparison(o, r, verdicts_match, offsets, reconnects_match, round(diff, 2), disagreements, losses_match,
                      speed)


def _verdict_lines(summary: SessionSummary) -> list[str]:
    return [f"    {v.start_s:6.1f}-{v.end_s:6.1f} s  {v.group} ({v.worst_level})" for v in summary.verdicts]


def _reconnect_text(summary: SessionSummary) -> str:
    if not summary.reconnects:
        return "none"
    parts = [f"at {r.down_s:.1f} s for {r.duration_s:.1f} s" if r.duration_s is not None
             else f"at {r.down_s:.1f} s, never back" for r in summary.reconnects]
    return f"{len(summary.reconnects)} ({', '.join(parts)})"


def report_text(c: Comparison, title: str = "") -> str:
    """The one-page report: where the reproduction agrees with the seller's night and where it does not."""
    o, r = c.original, c.reproduced
    lines = [f"Reproduction report{': ' + title if title else ''}",
             f"Verdict: {'REPRODUCED' if c.is_match else 'DIFFERENT'}"
             + ("" if c.is_match else f" ({len(c.disagreements)} difference(s))")]
    if c.speed != 1.0:
        lines.append(f"(run at --speed {c.speed:g}: the original's times are divided by {c.speed:g} where compared; "
                     "the studio's own clocks were not sped up)")
    lines.append("")
    lines.append("Health verdicts over time (s from Go Live)")
    lines.append("  original:")
    lines += _verdict_lines(o)
    lines.append("  reproduced:")
    lines += _verdict_lines(r)
    if c.verdict_offsets_s:
        lines.append(f"  same {len(c.verdict_offsets_s)} verdicts in the same order; offsets "
                     + ", ".join(f"{x:+.1f}" for x in c.verdict_offsets_s) + " s")
    lines.append("")
    lines.append(f"Reconnects: original {_reconnect_text(o)}; reproduced {_reconnect_text(r)}")
    lines.append("Frames dropped by cause (original / reproduced):")
    for cause in ("network", "disconnect", "encode_lag", "render_lag"):
        lines.append(f"    {cause:11s} {o.dropped.get(cause, 0):6d} / {r.dropped.get(cause, 0):6d}")
    lines.append(f"    by faults   {o.dropped_pct:5.1f}% / {r.dropped_pct:5.1f}% of {o.frames_made} / "
                 f"{r.frames_made} frames ({c.dropped_pct_diff:+.1f} points)")
    lines.append(f"    by load     {o.load_dropped_pct:5.1f}% / {r.load_dropped_pct:5.1f}% (render/encode lag: each "
                 f"machine's own load, not compared); computer overloaded {o.overloaded_s:.0f} s / "
                 f"{r.overloaded_s:.0f} s")
    lines.append("Bitrate steps: original " + (", ".join(f"{k} kbps at {t:.1f} s" for t, k in o.bitrate_steps) or "none"))
    lines.append("               reproduced " + (", ".join(f"{k} kbps at {t:.1f} s" for t, k in r.bitrate_steps)
                                                or "none"))
    if o.sources_lost_s or r.sources_lost_s:
        lines.append("Sources lost: original " + ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in o.sources_lost_s)
                     + "; reproduced " + ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in r.sources_lost_s))
    if o.mic_lost_s or r.mic_lost_s:
        lines.append("Microphone lost: original " + ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in o.mic_lost_s)
                     + "; reproduced " + ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in r.mic_lost_s))
    if o.slow_acks_s or r.slow_acks_s:
        lines.append(f"Platform answers later than {SLOW_ACK_MS:.0f} ms: original {len(o.slow_acks_s)}, "
                     f"reproduced {len(r.slow_acks_s)}")
    if o.platform_drops_s or r.platform_drops_s:
        lines.append("Platform disconnects: original " + ", ".join(f"{t:.1f} s" for t in o.platform_drops_s)
                     + "; reproduced " + ", ".join(f"{t:.1f} s" for t in r.platform_drops_s))
    lines.append("")
    if c.disagreements:
        lines.append("Where they differ:")
        lines += [f"  - {d}" for d in c.disagreements]
    else:
        lines.append("They agree: same verdicts in the same order (each within "
                     f"{VERDICT_TOLERANCE_S:g} s), same reconnect count, dropped frames within "
                     f"{DROPPED_TOLERANCE_PTS:g} points.")
    return "\n".join(lines)
