"""The stream-health verdict: good / warning / bad, with the reason and the fix in plain words.

Judged over the last ten seconds of the stats bus, so one bad second warns but does not alarm.
"""

from __future__ import annotations

from collections import deque
from typing import Any

WINDOW = 10


class HealthMonitor:
    def __init__(self, target_fps: float, bitrate_kbps: int) -> None:
        self.target_fps = target_fps
        self.bitrate_kbps = bitrate_kbps
        self._history: deque[dict[str, Any]] = deque(maxlen=WINDOW + 1)

    def judge(self, stats: dict[str, Any]) -> dict[str, str]:
        self._history.append(stats)
        first, last = self._history[0], self._history[-1]

        def delta(key: str) -> int:
            return last["dropped"][key] - first["dropped"][key] if len(self._history) > 1 else last["dropped"][key]

        frames = max(1, last["frames_encoded"] - first["frames_encoded"] if len(self._history) > 1 else last["frames_encoded"])
        streams = [o for o in last.get("outputs", []) if o.get("kind") == "stream"]
        for o in streams:
            if o["state"] == "failed":
                return verdict("bad", f"Not live: {o.get('error') or 'the stream stopped'}",
                               "Check the stream key and server in Settings, then go live again.")
        crash = _crash_verdict(last.get("thread_crashes") or [])
        if crash is not None:
            return crash
        for o in streams:
            if o["state"] in ("reconnecting", "connecting") and o.get("reconnects", 0) + o.get("attempt", 0) > 0:
                retry = o.get("retry_in_s")
                when = f" (next try in {retry:.0f} s)" if retry else ""
                return verdict("bad", f"Connection lost: reconnecting{when}. Your recording continues.",
                               "Check your internet connection, or press Reconnect now.")
        network_pct = 100.0 * delta("network") / (frames + delta("network"))
        if network_pct >= 1.0:
            level = "bad" if network_pct >= 5 else "warning"
            adaptive = next((o for o in streams if o.get("is_dynamic_bitrate")), None)
            if adaptive is not None:
                # The studio is already fitting the stream to the link: say what it does, advise the rest.
                return verdict(level, f"Upload too slow: {network_pct:.0f}% of frames dropped — "
                               + _fitted(adaptive, self.target_fps),
                               "Nothing to change in the studio: it adapts by itself. A cable, or pausing other "
                               "uploads on this network, gives a sharper picture.")
            sent = max((o.get("bitrate_sent_kbps", 0) for o in streams), default=0)
            suggestion = _suggest_bitrate(sent, self.bitrate_kbps)
            return verdict(level, f"Upload too slow: {network_pct:.0f}% of frames dropped (your upload carries "
                           f"about {sent:.0f} kbps)",
                           f"Lower the bitrate to {suggestion} kbps in Settings > Video.")
        encode_pct = 100.0 * delta("encode_lag") / (frames + delta("encode_lag"))
        render_pct = 100.0 * delta("render_lag") / (frames + delta("render_lag"))
        if last.get("encoder_idle_s", 0) >= 3 and encode_pct >= 50:
            return verdict("bad", f"The encoder has stopped responding ({last['encoder_idle_s']:.0f} s without a frame)",
                           "End the show and go live again; save a support bundle (Help menu) for support.")
        if encode_pct >= 1.0:
            level = "bad" if encode_pct >= 5 else "warning"
            return verdict(level, f"Encoder overloaded: {encode_pct:.0f}% of frames skipped",
                           # On 2 cores another busy program starves x264 as surely as too big a size does
                           # (the soak skipped 0.85 % of frames with ~1.3 cores taken by other processes).
                           "Close other busy programs, or choose a faster encoder preset or a smaller "
                           "output size in Settings > Video.")
        if render_pct >= 1.0:
            level = "bad" if render_pct >= 5 else "warning"
            return verdict(level, f"Computer too busy: {render_pct:.0f}% of frames missed",
                           "Close other programs, or lower the frame rate or output size.")
        for o in streams:
            if o.get("send_buffer_ms", 0) > 500:
                return verdict("warning", f"Upload is struggling: {o['send_buffer_ms']:.0f} ms waiting to send",
                               "Lower the bitrate, or move closer to the Wi-Fi router or use a cable.")
            if o.get("rate_plan") and o["rate_plan"].get("link_kbps") or (
                    o.get("encoder_bitrate_kbps") and o["encoder_bitrate_kbps"] < self.bitrate_kbps * 0.8):
                return verdict("warning", _fitted(o, self.target_fps),
                               "Nothing to do: it comes back up when the connection recovers.")
        for source in last.get("sources_lost", []):
            what = "Camera" if source.get("kind") == "camera" else "A source"
            return verdict("warning", source.get("reason") or f"{what} {source['id']} lost: reconnecting",
                           "Viewers see the last picture, then a 'camera lost' slate; it reconnects by itself. "
                           "If it does not, unplug the camera and plug it in again.")
        for notice in last.get("camera_notices", []):
            reason, _, fix = notice.partition(" — ")
            return verdict("warning", reason.rstrip("."), (fix[:1].upper() + fix[1:]) if fix else "")
        if last.get("cpu_percent", 0) > 180:
            return verdict("warning", f"CPU at {last['cpu_percent']:.0f}%",
                           "Close other programs or lower the output size to avoid dropped frames.")
        return verdict("good", "Stream healthy", "")


def _fitted(o: dict[str, Any], target_fps: float) -> str:
    """"Your upload carries about 780 kbps: sending 505 kbps video at 30 fps" (what the studio did)."""
    plan = o.get("rate_plan") or {}
    link = o.get("link_kbps") or plan.get("link_kbps")
    video = plan.get("video_kbps") or o.get("encoder_bitrate_kbps")
    fps = target_fps / max(1, plan.get("fps_divisor") or 1)
    audio = plan.get("audio_kbps")
    head = f"Your upload carries about {link:.0f} kbps" if link else "Bitrate lowered to keep up with your upload"
    parts = [f"{video} kbps video at {fps:.0f} fps"]
    if audio:
        parts.append(f"{audio} kbps audio")
    return f"{head}: the studio now sends {' and '.join(parts)}"


_PART_WORDS = {"encoder": "The video encoder", "output": "The stream connection", "recording": "The recording",
               "stats": "The stats monitor", "compositor": "The picture mixer"}


def _crash_verdict(crashes: list[dict[str, Any]]) -> dict[str, str] | None:
    """A media thread crashed recently: say which part, and whether it is back."""
    if not crashes:
        return None
    c = crashes[-1]
    what = _PART_WORDS.get(c.get("part", ""), f"The {c.get('part')}")
    if c.get("restarted_in_ms") is None:
        return verdict("bad", f"{what} stopped after an internal error ({c.get('error', '?')}); restarting it",
                       "Nothing to do yet: it restarts by itself within a few seconds.")
    ms = c["restarted_in_ms"]
    back = f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
    more = f" ({len(crashes)} times recently)" if len(crashes) > 1 else ""
    return verdict("warning", f"{what} hit an internal error and restarted in {back}{more}; the show goes on",
                   "Nothing to do. If it happens again, save a support bundle (Help > Save support bundle) "
                   "and send it to support.")


def verdict(level: str, reason: str, fix: str) -> dict[str, str]:
    return {"level": level, "reason": reason, "fix": fix}


def _suggest_bitrate(sent_kbps: float, configured_kbps: int, audio_kbps: int = 160) -> int:
    """A video bitrate that fits the measured upload with its audio and container overhead."""
    if sent_kbps <= 0:
        return max(300, int(round(configured_kbps * 0.6 / 100.0) * 100))
    video = sent_kbps * 0.85 - audio_kbps - 20
    return max(100, int(min(video, configured_kbps * 0.8) // 100 * 100))
