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
            if o["state"] in ("reconnecting", "connecting") and o.get("reconnects", 0) + o.get("attempt", 0) > 0:
                retry = o.get("retry_in_s")
                when = f" (next try in {retry:.0f} s)" if retry else ""
                return verdict("bad", f"Connection lost: reconnecting{when}. Your recording continues.",
                               "Check your internet connection, or press Reconnect now.")
        network_pct = 100.0 * delta("network") / (frames + delta("network"))
        if network_pct >= 1.0:
            sent = max((o.get("bitrate_sent_kbps", 0) for o in streams), default=0)
            suggestion = _suggest_bitrate(sent, self.bitrate_kbps)
            level = "bad" if network_pct >= 5 else "warning"
            return verdict(level, f"Upload too slow: {network_pct:.0f}% of frames dropped",
                           f"Lower the bitrate to {suggestion} kbps in Settings > Video.")
        encode_pct = 100.0 * delta("encode_lag") / (frames + delta("encode_lag"))
        render_pct = 100.0 * delta("render_lag") / (frames + delta("render_lag"))
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
            if o.get("encoder_bitrate_kbps") and o["encoder_bitrate_kbps"] < self.bitrate_kbps * 0.8:
                return verdict("warning",
                               f"Bitrate lowered to {o['encoder_bitrate_kbps']} kbps to keep up with your upload",
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


def verdict(level: str, reason: str, fix: str) -> dict[str, str]:
    return {"level": level, "reason": reason, "fix": fix}


def _suggest_bitrate(sent_kbps: float, configured_kbps: int) -> int:
    base = sent_kbps * 0.8 if sent_kbps > 0 else configured_kbps * 0.6
    return max(500, int(round(min(base, configured_kbps * 0.8) / 100.0) * 100))
