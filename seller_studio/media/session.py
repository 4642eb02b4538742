"""A live session: frames from the compositor -> encode thread -> outputs, plus the stats bus.

The compositor (owned by the Studio, running before and after the show for the preview) hands
each frame to ``on_frame``, which queues it; the "encoder" thread turns frames and the mixer's
audio, pulled to exactly the same timeline, into packets and gives every packet to every output;
each output has its own thread. Video pts count canvas frames from the session's first frame and
audio pts count samples from the same instant: one clock for A/V.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import tr_noop
from seller_studio.media.audio.mixer import AudioMixer
from seller_studio.media.audio.tee import MixTap
from seller_studio.media.compositor import Compositor
from seller_studio.media.encoders.aac import FRAME_SAMPLES
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.encoders.registry import EncoderSet, open_encoders
from seller_studio.media.frames import VideoFrame
from seller_studio.media.health import HealthMonitor
from seller_studio.media.outputs.base import Output, OutputError, OutputState, StopReason
from seller_studio.media.outputs.bitrate import RatePlan
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.stats import CpuMeter, CrashRecord, DropCounts, SessionStats, StreamStats, rss_mb
from seller_studio.media.supervision import CrashInjector, ThreadCrash, report_crash, restarted

log = logging.getLogger(__name__)
STATS_HISTORY_SECONDS = 600


def is_network_stream(output: Output) -> bool:
    """A stream to an ingest (RTMP/RTMPS/SRT or WHIP): it has a send buffer, a reconnect and, when
    dynamic, a bitrate controller whose plan the session's encode follows."""
    return isinstance(output, StreamOutput) or (output.kind == "stream" and hasattr(output, "apply_rate_plan"))

_EMPTY: frozenset = frozenset()


class LiveSession:
    def __init__(self, compositor: Compositor, mixer: AudioMixer | MixTap | None, video: VideoSettings,
                 audio: AudioSettings | None, outputs: list[Output], stats_path: Path | None = None,
                 canvas: str = "landscape") -> None:
        self.compositor = compositor
        self.canvas = canvas  # "landscape", or "vertical" for a studio's second canvas
        self.mixer = mixer
        self.video_settings = video
        self.audio_settings = audio if mixer is not None else None
        self.outputs = outputs
        self.stats_path = stats_path
        self.events = EventEmitter()
        self.encoders: EncoderSet | None = None
        self._frames: queue.Queue[tuple[int, np.ndarray | VideoFrame] | None] = queue.Queue(maxsize=max(2, video.fps // 2))
        self._keyframe_requested = threading.Event()
        self._encode_thread: threading.Thread | None = None
        self._stats_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.frames_encoded = 0
        self.frames_dropped_encode_lag = 0  # counted on the compositor, encoder and stopping threads
        self._encode_lag_lock = threading.Lock()
        self.audio_samples_encoded = 0
        self._encode_s_total = 0.0
        self._encode_s_window: list[float] = []  # encoder appends, stats swaps: both under _encode_s_lock
        self._encode_s_lock = threading.Lock()
        self.started_at_s = 0.0
        self.latest: SessionStats | None = None  # the newest second of the stats bus
        # The last 10 minutes of seconds (the journal keeps the whole show): an 8-hour break night
        # would otherwise hold 28,800 of them.
        self.stats_history: deque[SessionStats] = deque(maxlen=STATS_HISTORY_SECONDS)
        self.max_frames: int | None = None
        self._accepting = False
        self._first_index: int | None = None
        self._done = threading.Event()
        self._render_lag_at_start = 0
        self.health = HealthMonitor(video.fps, video.bitrate_kbps)
        # Dynamic bitrate: the plan a stream output fitted to its uplink (None: the settings as given).
        self._rate_plan: RatePlan | None = None
        self._plan_lock = threading.Lock()
        self.frames_skipped_ladder = 0  # frames left out on purpose by a plan's fps divisor
        self._last_keyframe_index = -(10**9)
        self._last_index = -1
        self._last_dts_s: dict[str, float] = {}
        self.packets_dropped_out_of_order = 0
        self.first_video_sent_at_s: float | None = None  # monotonic: the first video packet handed on
        self._last_encoded_at_s = 0.0
        # Supervision: crashes of any media thread of this session (its own and its outputs').
        self.crash_injectors = {part: CrashInjector(part) for part in ("encoder", "stats")}
        self._crashes: list[CrashRecord] = []
        self._crash_lock = threading.Lock()
        # Outputs added mid-session (the window's Record toggle) get packets from the next keyframe.
        self._joining: set[Output] = set()
        self._send_errors = 0
        self._pending: set[Output] = set()  # listed by add_output, not started yet: no packets
        self._outputs_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, duration_s: float | None = None, wait_outputs_s: float | None = 15.0,
              is_partial_ok: bool = False) -> None:
        """Open encoders and outputs. With ``wait_outputs_s`` it waits for every output to go live
        and raises the first failure as OutputError (reason and one line); with None it returns at once (the window's way:
        failures then arrive as output_state events). ``is_partial_ok``: a destination that fails
        (a wrong key on one of several) is that destination's error: it stays in the list, FAILED,
        with its ``error`` (the caller checks that some destination went live)."""
        if any(is_network_stream(o) and o.is_dynamic_bitrate for o in self.outputs):
            # x264 ignores bitrate changes while it writes CBR HRD (nal-hrd=cbr) headers.
            self.video_settings = replace(self.video_settings, strict_cbr=False)
        if any(getattr(o, "needs_baseline_h264", False) for o in self.outputs):
            # WebRTC (WHIP) peers take H.264 constrained baseline without B-frames.
            self.video_settings = replace(self.video_settings, profile="baseline")
        self.encoders = open_encoders(self.video_settings, self.audio_settings)
        for output in self.outputs:
            self._start_output(output)
        try:
            self._wait_outputs(wait_outputs_s, is_partial_ok)
        except BaseException:  # a failed output, or Ctrl-C / SIGTERM while connecting: close them all
            self._abort()
            raise
        self._start_threads(duration_s)

    def _wait_outputs(self, wait_outputs_s: float | None, is_partial_ok: bool = False) -> None:
        if wait_outputs_s is None:
            return
        deadline = time.monotonic() + wait_outputs_s
        failures: list[tuple[Output, OutputError]] = []
        for output in self.outputs:  # they connect in parallel; this only waits for each in turn
            if not output.wait_started(max(0.0, deadline - time.monotonic())):
                if output.stop_reason is not StopReason.UNSET:
                    err = OutputError(output.stop_reason, output.error or f"{output.name} stopped")
                else:
                    err = OutputError(StopReason.NO_ANSWER, tr_noop('{name} did not start within {wait_outputs_s:.0f} s').format(name=output.name, wait_outputs_s=wait_outputs_s))
                if not is_partial_ok:
                    raise err
                failures.append((output, err))
        for output, err in failures:
            if not output.is_destination:
                raise err  # a recording that cannot start
            if output.stop_reason is StopReason.UNSET:  # still connecting: it is that destination's error
                output.stop(0.5)
                output.fail(err)
            log.error("%s: %s (the other destinations go live)", output.name, err)

    def _start_threads(self, duration_s: float | None) -> None:
        self.max_frames = round(duration_s * self.video_settings.fps) if duration_s else None
        self._render_lag_at_start = self.compositor.frames_skipped_render_lag
        self._encode_thread = threading.Thread(target=self._encode_main, name="encoder", daemon=True)
        self._encode_thread.start()
        self.started_at_s = time.monotonic()
        self._stats_thread = threading.Thread(target=self._stats_loop, name="stats", daemon=True)
        self._stats_thread.start()
        self._accepting = True  # from now on on_frame queues frames
        self.events.emit("session_started", outputs=[o.name for o in self.outputs])

    def _abort(self) -> None:
        stoppers = [threading.Thread(target=o.stop, args=(0.8,), daemon=True) for o in self.outputs]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(1.0)
        if self.encoders:
            self.encoders.close()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until a ``duration_s`` session has taken all its frames; True when it has."""
        return self._done.wait(timeout_s)

    def stop(self, timeout_s: float = 2.5) -> None:
        """Stop the clock, encode what is queued, flush encoders, finish every output — within
        ``timeout_s`` whatever state a thread is in (a stuck thread is abandoned, not waited for)."""
        if self._stopping.is_set():
            return
        deadline = time.monotonic() + timeout_s
        self._stopping.set()
        self._accepting = False
        self._put_end_marker()
        encoder_alive = False
        if self._encode_thread is not None:
            self._encode_thread.join(max(0.1, (deadline - time.monotonic()) * 0.4))
            encoder_alive = self._encode_thread.is_alive()
            if encoder_alive:
                log.error("the encoder thread did not finish in time; stopping without its last frames")
        with self._outputs_lock:
            outputs = list(self.outputs)
        # Outputs finish in parallel: each closes its file or connection on its own thread.
        stoppers = [threading.Thread(target=o.stop, args=(max(0.1, deadline - time.monotonic()),),
                                     name=f"stop-{o.name}", daemon=True) for o in outputs]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(max(0.05, deadline - time.monotonic()))
        if self._stats_thread is not None:
            self._stats_thread.join(max(0.05, deadline - time.monotonic()))
        if self.encoders and not encoder_alive:  # never free a codec a live thread may still use
            self.encoders.close()
        self.events.emit("session_stopped", frames=self.frames_encoded)

    def _put_end_marker(self) -> None:
        """Queue the end marker without blocking: a dead or stuck encoder may have left the queue full."""
        while True:
            try:
                self._frames.put_nowait(None)
                return
            except queue.Full:
                try:
                    self._frames.get_nowait()
                    self._count_encode_lag()
                except queue.Empty:
                    pass

    # -- frames in, packets out ----------------------------------------------------------------
    def on_frame(self, index: int, image: np.ndarray | VideoFrame) -> None:
        """Called on the compositor thread for every rendered frame (RGB, or the composed picture)."""
        if not self._accepting or self._done.is_set():
            return
        if self._first_index is None:
            self._first_index = index
            # Synthetic audio (the tone) lines up with the canvas clock, not with the go-live instant.
            if self.mixer is not None:
                self.mixer.align_to_timeline(index / self.video_settings.fps)
        index -= self._first_index
        if self.max_frames is not None and index >= self.max_frames:
            self._done.set()
            return
        try:
            self._frames.put_nowait((index, image))
        except queue.Full:
            # The encoder cannot keep up: skip this frame (encode lag) rather than fall behind.
            self._count_encode_lag()

    def _count_encode_lag(self) -> None:
        with self._encode_lag_lock:
            self.frames_dropped_encode_lag += 1

    def _encode_main(self) -> None:
        """The encoder thread, supervised: after an uncaught exception the encoders are re-opened
        (the first frame is a keyframe) and encoding goes on from the next queued frame."""
        while True:
            try:
                self._encode_loop()
                return
            except Exception as exc:
                crash = report_crash("encoder", exc)
                self._count_encode_lag()  # the frame it was working on is lost
                self._record_crash(crash)
            while True:
                try:
                    self._reopen_encoders()
                    break
                except Exception as exc:  # e.g. the encoder cannot open again: keep trying, reported
                    report_crash("encoder", exc)
                    if self._stopping.wait(0.5):
                        return
            self._keyframe_requested.set()
            self._record_restart(restarted(crash))

    def _reopen_encoders(self) -> None:
        """Fresh encoders with the session's settings (identical codec headers, so the outputs go
        on), then the current rate plan; audio timestamps continue where they stopped."""
        old = self.encoders
        new = open_encoders(self.video_settings, self.audio_settings)
        if new.audio is not None:
            new.audio.samples_encoded = self.audio_samples_encoded
        self.encoders = new
        plan = self._rate_plan
        if plan is not None:
            self._apply_plan_to(new, plan)
        if old is not None:
            old.close()

    def _encode_loop(self) -> None:
        assert self.encoders is not None
        video, audio = self.encoders.video, self.encoders.audio
        fps = self.video_settings.fps
        gop = self.video_settings.gop_frames
        while True:
            item = self._frames.get()
            if item is None:
                break
            index, image = item
            started = time.perf_counter()
            self.crash_injectors["encoder"].check()
            plan = self._rate_plan
            divisor = plan.fps_divisor if plan is not None else 1
            force = self._keyframe_requested.is_set()
            # With a frame-rate step keyframes still come every keyframe interval of *time*.
            keyframe_due = divisor > 1 and index - self._last_keyframe_index >= gop
            if divisor > 1 and index % divisor and not force and not keyframe_due:
                packets = []
                self.frames_skipped_ladder += 1
            else:
                if force:
                    self._keyframe_requested.clear()
                packets = video.encode(image, index, force_keyframe=force or keyframe_due)
                if any(p.is_keyframe for p in packets):
                    self._last_keyframe_index = index
                self.frames_encoded += 1
            if audio is not None:
                packets += self._encode_audio_until((index + 1) / fps)
            elapsed = time.perf_counter() - started
            self._encode_s_total += elapsed
            with self._encode_s_lock:
                self._encode_s_window.append(elapsed)
            self._last_index = index
            self._last_encoded_at_s = time.monotonic()
            self._dispatch(packets)
        # End of session: audio up to the end of the last frame, then flush both encoders.
        tail = []
        last_index = self._last_index
        if audio is not None and last_index >= 0:
            tail += self._encode_audio_until((last_index + 1) / fps, final=True)
            tail += audio.flush()
        tail += video.flush()
        self._dispatch(sorted(tail, key=lambda p: p.dts_s))

    def _encode_audio_until(self, t_s: float, final: bool = False) -> list:
        assert self.encoders is not None and self.encoders.audio is not None and self.mixer is not None
        due = round(t_s * self.encoders.audio.settings.sample_rate) - self.audio_samples_encoded
        n = (due // FRAME_SAMPLES) * FRAME_SAMPLES if not final else max(0, due)
        if n <= 0:
            return []
        self.audio_samples_encoded += n
        return self.encoders.audio.encode(self.mixer.mix(n))

    def _dispatch(self, packets: list) -> None:
        for packet in packets:
            # After an encoder restart, never hand a muxer a timestamp that goes back in time.
            last = self._last_dts_s.get(packet.kind)
            if last is not None and packet.dts_s < last:
                self.packets_dropped_out_of_order += 1
                continue
            self._last_dts_s[packet.kind] = packet.dts_s
            if self.first_video_sent_at_s is None and packet.kind == "video":
                self.first_video_sent_at_s = time.monotonic()
            with self._outputs_lock:
                outputs = list(self.outputs)
                if self._joining and packet.kind == "video" and packet.is_keyframe:
                    self._joining.clear()  # joiners start at this keyframe
                joining = self._joining | self._pending if self._joining or self._pending else _EMPTY
            for output in outputs:
                if output not in joining:
                    try:
                        output.send(packet)
                    except Exception:  # one output's bug must not cost the others this packet
                        self._send_errors += 1
                        if self._send_errors <= 3:
                            log.exception("%s: send failed; the other outputs go on", output.name)

    def _start_output(self, output: Output) -> None:
        """Wire an output to the encoders (keyframe requests, dynamic bitrate) and start it."""
        assert self.encoders is not None, "session not started"
        templates = self.encoders.templates()
        output.request_keyframe = self._keyframe_requested.set
        output.events.subscribe(self._on_output_event)
        if is_network_stream(output):
            output.apply_rate_plan = lambda plan, output=output: self._on_rate_plan(output, plan)
            # A congested destination among several waits for the regular keyframe instead of
            # asking the shared encoder for one: its congestion must not cost the others bits.
            output.request_keyframe_for_congestion = lambda output=output: self._congestion_keyframe(output)
            output.start(templates, self.video_settings.bitrate_kbps)
        else:
            output.start(templates)

    def add_output(self, output: Output) -> None:
        """Start one more output while live (e.g. a recording or a destination); it begins at the
        next keyframe. It is listed before it starts (an output that fails at once is in the list,
        so remove_output finds it), and gets no packet until it has started."""
        with self._outputs_lock:
            self._pending.add(output)
            self.outputs = [*self.outputs, output]
        try:
            self._start_output(output)
        except BaseException:
            with self._outputs_lock:
                self._pending.discard(output)
                self.outputs = [o for o in self.outputs if o is not output]
            raise
        with self._outputs_lock:
            if output in self._pending:  # not removed meanwhile
                self._pending.discard(output)
                self._joining.add(output)
        self._keyframe_requested.set()

    def remove_output(self, output: Output) -> None:
        """Finish one output (flush and close it) while the others go on. Blocks until it is closed."""
        with self._outputs_lock:
            self.outputs = [o for o in self.outputs if o is not output]
            self._joining.discard(output)
            self._pending.discard(output)
        output.stop()
        self._choose_rate_plan()

    # -- rate plan (dynamic bitrate) ----------------------------------------------------------------
    def _on_rate_plan(self, output: Any, plan: RatePlan) -> None:
        """One destination fitted its own plan to its uplink (encoder thread, from its send)."""
        self._choose_rate_plan()

    def _choose_rate_plan(self) -> None:
        """One encode feeds every destination on this canvas, so it follows the destination with the
        most room: the highest plan among the live dynamic-bitrate stream outputs. A slow uplink to
        one destination never lowers the others; that destination sheds video in its own send
        buffer (disposable frames past 700 ms, all video to the next keyframe past 900 ms, never
        audio). With one destination this is that destination's plan, as before."""
        with self._outputs_lock:
            outputs = [o for o in self.outputs if is_network_stream(o) and o.rate is not None]
        with self._plan_lock:  # the encoder thread and the outputs' threads both get here
            plans = [o.rate.plan for o in outputs if o.state == OutputState.LIVE and o.rate is not None]
            if not plans:
                return
            plan = max(plans, key=lambda p: (p.video_kbps, -p.fps_divisor, p.audio_kbps))
            current = self._rate_plan
            if current is None:  # nothing applied yet: the encoders run the settings as given
                current = next((o.rate.configured for o in outputs if o.rate is not None), None)
            if plan != current:
                self.apply_rate_plan(plan)

    def _congestion_keyframe(self, output: Any) -> None:
        with self._outputs_lock:
            others = [o for o in self.outputs if o is not output and is_network_stream(o)
                      and o.state == OutputState.LIVE]
        if not others:
            self._keyframe_requested.set()

    def apply_rate_plan(self, plan: RatePlan) -> None:
        """The stream's plan: video bitrate, audio bitrate, frame step. Called on the encoder thread
        (from an output's send) or the thread that changed the outputs; applied before the next frame."""
        self._rate_plan = plan
        encoders = self.encoders
        if encoders is not None:
            self._apply_plan_to(encoders, plan)

    @staticmethod
    def _apply_plan_to(encoders: EncoderSet, plan: RatePlan) -> None:
        encoders.video.set_bitrate_kbps(plan.encoder_video_kbps)
        if encoders.audio is not None and plan.audio_kbps:
            encoders.audio.set_bitrate_kbps(plan.audio_kbps)

    # -- supervision ----------------------------------------------------------------------------------
    def _record_crash(self, crash: ThreadCrash, output: str | None = None) -> None:
        record = CrashRecord(crash.part, crash.thread, crash.error, round(crash.at_s - self.started_at_s, 2),
                             None, output)
        with self._crash_lock:
            self._crashes.append(record)
        if output is None:  # an output's crash is already on the bus as the output's own event
            self.events.emit("thread_crashed", **crash.to_dict())

    def _record_restart(self, crash: ThreadCrash, output: str | None = None) -> None:
        with self._crash_lock:
            for i in range(len(self._crashes) - 1, -1, -1):
                entry = self._crashes[i]
                if entry.part == crash.part and entry.restarted_in_ms is None:
                    self._crashes[i] = replace(entry, restarted_in_ms=crash.restarted_in_ms)
                    break
        if output is None:
            self.events.emit("thread_restarted", **crash.to_dict())

    def _on_output_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "output_state" and payload.get("kind") == "stream":
            # A destination going down or coming back changes which plan has the most room.
            self._choose_rate_plan()
        elif name == "thread_crashed":
            self._record_crash(ThreadCrash(payload["part"], payload["thread"], payload["error"], time.monotonic()),
                               output=payload.get("output") or "?")
        elif name == "thread_restarted":
            self._record_restart(ThreadCrash(payload["part"], payload["thread"], payload["error"], 0.0,
                                             payload["restarted_in_ms"]), output=payload.get("output") or "?")

    def crashes(self) -> list[CrashRecord]:
        """Every media-thread crash of this session so far (immutable records; any thread)."""
        with self._crash_lock:
            return list(self._crashes)

    def inject_crash(self, part: str, destination: str | None = None) -> None:
        """``--simulate thread-crash@T:PART[:DEST]``: raise inside that thread at its next loop turn."""
        if part in self.crash_injectors:
            self.crash_injectors[part].arm()
            return
        for output in list(self.outputs):
            if destination is not None and output.name != destination:
                continue
            if (part == "output" and output.is_destination) or part == output.kind == "recording":
                output.crash_injector.arm()
                return
        raise ValueError(tr_noop("no {part} thread to crash in this session").format(part=part))

    # -- controls ---------------------------------------------------------------------------------
    def request_keyframe(self) -> None:
        self._keyframe_requested.set()

    def reconnect_now(self) -> None:
        for output in self.outputs:
            if is_network_stream(output):
                output.reconnect_now()

    # -- stats bus ----------------------------------------------------------------------------------
    def _stats_loop(self) -> None:
        cpu = CpuMeter()
        last = {"frames": 0, "render_lag": 0, "encode_lag": 0, "time": time.monotonic()}
        out_file = open(self.stats_path, "a", encoding="utf-8") if self.stats_path else None  # noqa: SIM115
        try:
            while not self._stopping.wait(1.0):
                try:
                    self.crash_injectors["stats"].check()
                    stats = self._collect(cpu, last)
                    if out_file:
                        out_file.write(json.dumps(stats.to_dict()) + "\n")
                        out_file.flush()
                except Exception as exc:  # supervised: report, and the next tick runs again
                    crash = report_crash("stats", exc)
                    self._record_crash(crash)
                    self._record_restart(restarted(crash))
        finally:
            if out_file:
                out_file.close()

    def _collect(self, cpu: CpuMeter, last: dict[str, Any]) -> SessionStats:
        now = time.monotonic()
        with self._encode_s_lock:
            window, self._encode_s_window = self._encode_s_window, []
        outputs = list(self.outputs)  # one snapshot: add/remove_output replace the list
        output_stats = tuple(o.stats() for o in outputs)
        render_lag = self.compositor.frames_skipped_render_lag - self._render_lag_at_start
        encode_lag = self.frames_dropped_encode_lag
        interval = now - last["time"]
        since_start_s = now - self.started_at_s
        crashes = self.crashes()
        sources = list(self.compositor.sources.items())
        stats = SessionStats(
            t_s=round(since_start_s, 2),
            wall_time=time.time(),
            fps=round((self.frames_encoded - last["frames"]) / interval, 2),
            target_fps=self.video_settings.fps,
            encode_ms_per_frame=round(1000 * sum(window) / len(window), 2) if window else 0.0,
            frames_encoded=self.frames_encoded,
            dropped=DropCounts(render_lag, encode_lag,
                               sum(o.dropped_network for o in output_stats if isinstance(o, StreamStats))),
            frames_skipped_ladder=self.frames_skipped_ladder,
            encoder_idle_s=round(now - self._last_encoded_at_s, 1) if self._last_encoded_at_s else 0.0,
            thread_crashes=tuple(c for c in crashes if c.restarted_in_ms is None or since_start_s - c.at_s < 15),
            thread_crashes_total=len(crashes),
            cpu_percent=round(cpu.percent(), 1),
            rss_mb=round(rss_mb(), 1),
            scene=self.compositor.active_scene,
            outputs=output_stats,
            # Sources not delivering (a frozen or unplugged camera), for the health verdict.
            sources_lost=tuple({"id": sid, "kind": getattr(src, "kind", ""), "reason": getattr(src, "lost_reason", "")}
                               for sid, src in sources
                               if getattr(getattr(src, "state", None), "value", "") == "lost"),
            # A camera giving less than asked ("This camera gives 10 fps at 1920x1080 — choose ...").
            camera_notices=tuple(notice for _, src in sources
                                 if (notice := getattr(getattr(src, "inner", src), "rate_notice", ""))),
            audio=self.mixer.levels() if self.mixer is not None else None,
            canvas=self.canvas,
            encoder_video_kbps=plan.video_kbps if (plan := self._rate_plan) is not None else self.video_settings.bitrate_kbps,
        )
        stats = replace(stats, health=self.health.assess(stats))
        last.update(frames=self.frames_encoded, render_lag=render_lag, encode_lag=encode_lag, time=now)
        self.latest = stats
        self.stats_history.append(stats)
        self.events.emit("stats", **stats.to_dict())  # the documented JSON shape (journal, --stats, the window)
        return stats

    @property
    def last_stats(self) -> dict[str, Any]:
        """The newest stats in their JSON shape ({} before the first second)."""
        latest = self.latest
        return latest.to_dict() if latest is not None else {}

    def subscribe_stats(self, callback: Callable[[SessionStats], None]) -> Callable[[], None]:
        """``callback(stats)`` every second, typed, on the stats thread."""
        return self.events.subscribe(
            lambda name, payload: callback(SessionStats.from_dict(payload)) if name == "stats" else None)

    def stream_outputs(self) -> list[StreamOutput]:
        return [o for o in self.outputs if isinstance(o, StreamOutput)]

    def is_streaming(self) -> bool:
        return any(o.state == OutputState.LIVE for o in self.stream_outputs())
