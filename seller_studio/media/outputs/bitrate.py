"""Dynamic bitrate that fits the measured uplink: video + audio + container overhead, then a ladder.

The stream output feeds ``BitrateController.update`` with its send buffer (ms of media waiting)
and the rate that actually went out. When the buffer stays above 200 ms for 0.75 s, the link is
saturated, so what went out meanwhile *is* the uplink: the controller fits a ``RatePlan`` to it —
audio (160 kbps, down to 96 or 64 kbps on a thin link) plus per-packet FLV/RTMP overhead plus video
must stay under 85 % of the uplink, the rest being the margin that drains the backlog. There is no
fixed floor: when the video budget no longer gives a usable picture at the full frame rate, the
plan sends every 2nd or 3rd frame (the ladder, like the platforms' 720p30 -> 15 fps steps; the
picture size stays, so outputs never need new codec headers).

Coming back: once the buffer has stayed drained for ``raise_interval_s``, the video is raised by a
quarter of what it is (at most 10 % of the setting), but while a measured uplink is known no
further than 105 % of it: a link that has not recovered is barely overrun. Once a raise beyond the
measurement holds, each raise that holds makes the next one 1.5x bigger and sooner, so a recovered
link is back to the setting within seconds; a raise that congests the link again is undone and the
next probe waits longer (at most 6 s).

Pure logic with the clock passed in: tests drive it without a network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HEADROOM = 0.85  # plan for this share of the measured uplink; the rest drains the backlog
PROBE_OVER_LINK = 1.05  # the first probe after a fit sends this share of the measured uplink
AUDIO_STEPS_KBPS = (160, 96, 64)  # audio bitrate as the uplink thins
FLV_RTMP_BYTES_PER_PACKET = 20  # FLV tag + previous-tag size + RTMP chunk headers, per packet
CHUNKING_OVERHEAD = 0.01  # RTMP chunk basic headers within a packet (1 byte per 128)
MIN_BITS_PER_PIXEL = 0.015  # below this per *sent* frame, send fewer frames instead
MAX_FPS_DIVISOR = 3
MIN_VIDEO_KBPS = 50
AUDIO_PACKETS_PER_S = 48000 / 1024


@dataclass(frozen=True)
class RatePlan:
    """What the encoders should produce. ``video_kbps`` is the video rate on the wire (the encoder is
    set to ``encoder_video_kbps``, since x264 budgets per frame at the nominal frame rate)."""

    video_kbps: int
    audio_kbps: int
    fps_divisor: int = 1  # 1: every frame, 2: every other frame, ...
    link_kbps: float | None = None  # the measured uplink this plan fits (None: not limited)

    @property
    def encoder_video_kbps(self) -> int:
        return self.video_kbps * self.fps_divisor

    def to_dict(self) -> dict[str, object]:
        return {"video_kbps": self.video_kbps, "audio_kbps": self.audio_kbps, "fps_divisor": self.fps_divisor,
                "link_kbps": None if self.link_kbps is None else round(self.link_kbps)}


def overhead_kbps(video_packets_per_s: float, audio_packets_per_s: float, payload_kbps: float) -> float:
    """Container overhead of an FLV/RTMP stream on top of the encoded payload."""
    per_packet = (video_packets_per_s + audio_packets_per_s) * FLV_RTMP_BYTES_PER_PACKET * 8 / 1000
    return per_packet + payload_kbps * CHUNKING_OVERHEAD


def fps_divisor_for(video_kbps: float, width: int, height: int, fps: float) -> int:
    """The smallest divisor that leaves each sent frame at least MIN_BITS_PER_PIXEL."""
    for divisor in range(1, MAX_FPS_DIVISOR + 1):
        if video_kbps * 1000 / (width * height * fps / divisor) >= MIN_BITS_PER_PIXEL:
            return divisor
    return MAX_FPS_DIVISOR


def audio_for(usable_kbps: float, configured_audio_kbps: int) -> int:
    """The configured audio while it takes at most a quarter of the usable rate, then a step down."""
    steps = [a for a in AUDIO_STEPS_KBPS if a <= configured_audio_kbps] or [configured_audio_kbps]
    return next((a for a in steps if a * 4 <= usable_kbps), steps[-1])


def fit_to_link(link_kbps: float, configured_video_kbps: int, configured_audio_kbps: int,
                width: int, height: int, fps: float, has_audio: bool = True) -> RatePlan:
    """The best plan whose video + audio + overhead stays under HEADROOM of ``link_kbps``."""
    usable = link_kbps * HEADROOM
    audio = audio_for(usable, configured_audio_kbps) if has_audio else 0
    audio_pps = AUDIO_PACKETS_PER_S if has_audio else 0.0
    divisor = 1
    video = 0.0
    for _ in range(MAX_FPS_DIVISOR):
        video = usable - audio - overhead_kbps(fps / divisor, audio_pps, usable)
        wanted = fps_divisor_for(video, width, height, fps)
        if wanted <= divisor:
            break
        divisor = wanted
    video_kbps = int(max(MIN_VIDEO_KBPS, min(configured_video_kbps, video)))
    return RatePlan(video_kbps, audio, divisor, link_kbps)


def full_plan(video_kbps: int, audio_kbps: int) -> RatePlan:
    return RatePlan(video_kbps, audio_kbps, 1, None)


class BitrateController:
    """Decides the rate plan of one stream output from its send buffer and what it really sent."""

    lower_ms = 200.0  # buffer above this (for congested_for_s) means the link is saturated
    congested_for_s = 0.75  # TCP needs a moment after a cut before its rate means the link's
    measure_window_s = 2.5
    max_drain_s = 6.0  # a fitted plan that has not drained the buffer by then was too optimistic
    drained_ms = 50.0  # buffer below this: the link has room
    max_probe_wait_s = 6.0
    probe_hold_s = 5.0  # a probe just past the measured uplink must hold this long to count

    def __init__(self, video_kbps: int, audio_kbps: int, width: int, height: int, fps: float,
                 has_audio: bool = True, raise_interval_s: float = 4.0) -> None:
        self.configured = full_plan(video_kbps, audio_kbps if has_audio else 0)
        self.plan = self.configured
        self.size = (width, height)
        self.fps = fps
        self.has_audio = has_audio
        self.raise_interval_s = raise_interval_s
        self._congested_since: float | None = None
        self._drained_since: float | None = None
        self._last_change_s = -1e9
        self._last_raise_s: float | None = None
        self._raise_step_kbps = max(1, video_kbps // 10)
        self._probe_wait_s = raise_interval_s
        self._penalty = 1.0  # < 1 when a plan fitted to the measurement still did not drain
        self.measured_link_kbps: float | None = None
        self._past_link = False  # a probe beyond the measured uplink has held
        self._last_measured_s = -1e9
        self._before_raise: RatePlan | None = None  # the plan a raise replaced (restored if it fails)

    @property
    def is_limited(self) -> bool:
        return self.plan != self.configured

    def update(self, now: float, buffered_ms: float, sent_kbps: Callable[[float], float]) -> tuple[RatePlan, str] | None:
        """A new plan and why, or None to keep the current one. ``sent_kbps(window_s)`` is what
        went out over the last ``window_s`` seconds (payload, audio included)."""
        if buffered_ms > self.lower_ms:
            return self._on_congested(now, buffered_ms, sent_kbps)
        if self.is_limited and now - self._last_measured_s >= 1.0 and now - self._last_change_s >= 5.0:
            # The uplink carries at least what went out: a cut measured while TCP was recovering
            # reads low, and the health row names this figure.
            self._last_measured_s = now
            self.measured_link_kbps = max(self.measured_link_kbps or 0.0, sent_kbps(5.0))
        self._congested_since = None
        if buffered_ms >= self.drained_ms or not self.is_limited:
            return None
        if self._drained_since is None:
            self._drained_since = now
            return None
        return self._maybe_raise(now)

    def _on_congested(self, now: float, buffered_ms: float, sent_kbps: Callable[[float], float]) -> tuple[RatePlan, str] | None:
        self._drained_since = None
        if self._congested_since is None:
            self._congested_since = now
        span = now - self._congested_since
        if self._before_raise is not None and self._last_raise_s is not None and now - self._last_raise_s < 10.0 \
                and span >= 0.2:
            # The last raise did not fit: undo it at once (the plan before it held), probe later.
            self._probe_wait_s = min(self.max_probe_wait_s, self._probe_wait_s * 2)
            self._raise_step_kbps = self._first_step_kbps()
            plan, self._before_raise, self._last_raise_s = self._before_raise, None, None
            if plan.link_kbps is not None:
                # The link is below what that probe sent: never probe as high again. It carried the
                # plan restored, though: after climbing past an old measurement that plan is above
                # it, and the uplink the health row names must not read below what is being sent.
                probe_total = self._total(self.plan)
                link = max(min(plan.link_kbps, probe_total / PROBE_OVER_LINK), float(self._total(plan)))
                plan = RatePlan(plan.video_kbps, plan.audio_kbps, plan.fps_divisor, link)
            self._past_link = False
            return self._change(plan, now, f"send buffer {buffered_ms:.0f} ms after a raise: undone")
        if span < self.congested_for_s or now - self._last_change_s < 1.0:
            return None
        # At least 1 s: FFmpeg hands bytes to the socket in 32 KB bursts, so a shorter window reads
        # the link hundreds of kbps off; at most what has been congested, so the faster past does
        # not count.
        link = sent_kbps(min(self.measure_window_s, max(1.0, span)))
        if link <= 0:
            return None
        self.measured_link_kbps = link
        if self.plan.link_kbps is not None and self._before_raise is None:  # the plan is a fit
            if link < self.plan.link_kbps * 0.9:
                pass  # the link got slower still: fit to the new measurement
            elif now - self._last_change_s > self.max_drain_s:
                self._penalty = max(0.5, self._penalty * 0.85)  # fitted, yet not draining: be stricter
            else:
                return None  # fitted: the backlog is draining
        self._past_link = False
        self._before_raise = None
        plan = fit_to_link(link * self._penalty, self.configured.video_kbps, self.configured.audio_kbps,
                           *self.size, self.fps, self.has_audio)
        if plan.video_kbps >= self.plan.video_kbps and plan.audio_kbps >= self.plan.audio_kbps:
            plan = RatePlan(max(MIN_VIDEO_KBPS, int(self.plan.video_kbps * 0.8)), plan.audio_kbps,
                            max(plan.fps_divisor, self.plan.fps_divisor), link)
        return self._change(plan, now, f"send buffer {buffered_ms:.0f} ms, uplink ~{link:.0f} kbps")

    def _maybe_raise(self, now: float) -> tuple[RatePlan, str] | None:
        quiet_s = min(now - self._drained_since, now - self._last_change_s)
        if quiet_s < self._probe_wait_s:
            return None
        link = self.plan.link_kbps
        if self._last_raise_s is not None and self._past_link:
            # A raise beyond the measurement held: the link has recovered; climb back fast.
            self._raise_step_kbps = int(self._raise_step_kbps * 1.5)
            self._probe_wait_s = 1.0
        video = min(self.configured.video_kbps, self.plan.video_kbps + self._raise_step_kbps)
        audio = self.plan.audio_kbps
        if self.has_audio:
            audio = max(audio, audio_for(video + audio, self.configured.audio_kbps))
        if link is not None and not self._past_link:
            # Near a measured uplink, probe only just past it (105 %): enough to learn that it has
            # recovered, too little to build a backlog that costs frames when it has not.
            def cap_for(audio_kbps: int) -> float:
                return link * PROBE_OVER_LINK - audio_kbps - overhead_kbps(self.fps, AUDIO_PACKETS_PER_S, link)

            room = max(5.0, 0.01 * link)  # less than this above the current video: at the cap
            if cap_for(audio) <= self.plan.video_kbps + room:
                audio = self.plan.audio_kbps  # no room for more audio yet
            cap = cap_for(audio)
            if cap <= self.plan.video_kbps + room:
                # At the probe cap: once it has held long enough that no send buffer could hide an
                # overrun, the link has more room than measured and the raises may grow.
                if quiet_s < self.probe_hold_s:
                    return None
                self._past_link = True
            else:
                video = int(min(video, cap))
        self._penalty = 1.0
        if video >= self.configured.video_kbps:
            plan = self.configured
        else:
            plan = RatePlan(video, audio, fps_divisor_for(video, *self.size, self.fps), link)
        if plan == self.plan:
            return None
        self._before_raise = self.plan
        self._last_raise_s = now
        return self._change(plan, now, "buffer drained")

    @staticmethod
    def _total(plan: RatePlan) -> float:
        return plan.video_kbps + plan.audio_kbps

    def _first_step_kbps(self) -> int:
        """A probe small enough that a link which has not recovered is barely overrun."""
        return max(1, min(self.configured.video_kbps // 10, self.plan.video_kbps // 4))

    def _change(self, plan: RatePlan, now: float, why: str) -> tuple[RatePlan, str] | None:
        if plan == self.plan:
            return None
        if plan == self.configured:
            self._last_raise_s = None
            self._probe_wait_s = self.raise_interval_s
            self._raise_step_kbps = max(1, self.configured.video_kbps // 10)
            self.measured_link_kbps = None
        self.plan = plan
        self._last_change_s = now
        return plan, why
