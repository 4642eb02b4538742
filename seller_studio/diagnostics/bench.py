"""`seller-studio bench`: what this machine can do, measured in one run.

1. CPU per frame of the studio's pipeline (compositor -> encoder -> FLV output) against the
   ffmpeg command line encoding the identical raw frames with identical settings, at 720p30 and
   1080p30. Both run the same number of frames; the ratio is ours / ffmpeg's (lower is better).
2. Capture-to-ingest latency p50/p95: the test pattern's frame codes carry their capture time; a
   receiver in another process plays the stream back from a local ingest and compares. Over RTMP
   (nginx-rtmp, read back with PyAV) and over WHIP (the sandbox's aiortc WHIP peer decoding it).
3. The highest size/fps this machine sustains with 20 % CPU headroom, and the settings the
   first-run setup applies.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from seller_studio.diagnostics.rtmp_server import RtmpServer
from seller_studio.i18n import tr_noop
from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.encoders.base import VideoSettings
from seller_studio.media.frames import VideoFrame
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.studio import Studio, pattern_studio

Progress = Callable[[str], None]

# Bitrate guide (kbps low-high) of the reference broadcaster's auto-config.
BITRATE_GUIDE = {
    (1920, 1080, 60): (5800, 8751), (1920, 1080, 30): (3962, 5977),
    (1280, 720, 60): (2911, 4392), (1280, 720, 30): (1988, 3000), (854, 480, 30): (999, 1507),
}
CANDIDATES = [(1920, 1080, 60), (1920, 1080, 30), (1280, 720, 60), (1280, 720, 30), (854, 480, 30)]
HEADROOM = 0.8  # use at most 80 % of the machine
SAFE_DEFAULTS = {("1280x720", 30), ("854x480", 30)}


class FrameListSource(VideoSource):
    """Pre-rendered frames played by canvas frame number, so both sides encode identical pictures."""

    kind = "frame-list"

    def __init__(self, frames: list[np.ndarray]) -> None:
        super().__init__("frames")
        self.frames = [VideoFrame(f, 0.0, i) for i, f in enumerate(frames)]
        self.first_index: int | None = None

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
        if self.first_index is None:
            self.first_index = frame_index
        return self.frames[(frame_index - self.first_index) % len(self.frames)]


def render_frames(width: int, height: int, fps: int, count: int) -> list[np.ndarray]:
    pattern = TestPatternSource("tp", width, height, fps)
    return [pattern.frame_at(i, 0.0).image for i in range(count)]


def x264_args(v: VideoSettings) -> list[str]:
    """The ffmpeg command line equivalent of the studio's H264Encoder settings."""
    args = ["-c:v", "libx264", "-preset", v.preset, "-b:v", f"{v.bitrate_kbps}k", "-maxrate", f"{v.bitrate_kbps}k",
            "-bufsize", f"{v.bitrate_kbps}k", "-g", str(v.gop_frames), "-bf", "0", "-pix_fmt", "yuv420p",
            "-x264-params", f"keyint={v.gop_frames}:min-keyint={v.gop_frames}:scenecut=0:nal-hrd=cbr",
            "-forced-idr", "1"]
    if v.tune:
        args += ["-tune", v.tune]
    return args


def studio_cpu_s(frames: list[np.ndarray], v: VideoSettings, out: Path) -> float:
    """CPU seconds (all threads) the studio spends composing, encoding and muxing ``frames``."""
    studio = Studio(v.width, v.height, v.fps)
    studio.add_source(FrameListSource(frames))
    studio.add_scene(Scene("bench", [Layer("frames")]))
    recording = RecordingOutput(out)
    before = time.process_time()
    studio.start()
    session = studio.go_live([recording], v, None, duration_s=len(frames) / v.fps)
    session.wait(len(frames) / v.fps + 30)
    studio.stop()
    return time.process_time() - before


def ffmpeg_cpu_s(frames: list[np.ndarray], v: VideoSettings, out: Path) -> float:
    """CPU seconds of `ffmpeg` reading the same raw RGB frames from a pipe and encoding them."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{v.width}x{v.height}",
           "-r", str(v.fps), "-i", "-", *x264_args(v), "-f", "flv", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for frame in frames:
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(tr_noop("ffmpeg failed"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_ratio(width: int, height: int, fps: int, seconds: float, rounds: int, work: Path,
              progress: Progress) -> dict[str, Any]:
    frames = render_frames(width, height, fps, round(seconds * fps))
    v = VideoSettings(width, height, fps, BITRATE_GUIDE.get((width, height, fps), (2500, 0))[0])
    ours, theirs = [], []
    for r in range(rounds):  # interleaved, so background load hits both alike
        progress(f"CPU {width}x{height}@{fps}: round {r + 1}/{rounds}")
        ours.append(studio_cpu_s(frames, v, work / "studio.mkv") / len(frames))
        theirs.append(ffmpeg_cpu_s(frames, v, work / "ffmpeg.flv") / len(frames))
    ours_ms, theirs_ms = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    return {"size": f"{width}x{height}", "fps": fps, "frames": len(frames), "rounds": rounds,
            "studio_cpu_ms_per_frame": round(ours_ms, 3), "ffmpeg_cpu_ms_per_frame": round(theirs_ms, 3),
            "ratio": round(ours_ms / theirs_ms, 3)}


def latency(seconds: float, progress: Progress, width: int = 1280, height: int = 720, fps: int = 30) -> dict[str, Any]:
    """Capture -> ingest -> player latency of the test pattern's frame codes, through local nginx-rtmp."""
    from seller_studio.media.encoders.base import AudioSettings
    from seller_studio.media.outputs.stream import StreamOutput

    ingest_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    ingest = RtmpServer(ingest_dir).start()
    try:
        studio = pattern_studio(width, height, fps)
        key = "bench"
        session = studio.go_live([StreamOutput(ingest.url, key)], VideoSettings(width, height, fps, 2500),
                                 AudioSettings())
        progress(f"latency: playing back {seconds:.0f} s from the local ingest")
        receiver = subprocess.run(
            [sys.executable, "-m", "seller_studio.diagnostics.latency_probe", f"{ingest.url}/{key}", str(seconds)],
            capture_output=True, text=True, timeout=seconds + 60)
        stats = session.last_stats
        studio.stop()
    finally:
        ingest.stop()
        shutil.rmtree(ingest_dir, ignore_errors=True)
    samples = json.loads(receiver.stdout or "{}").get("latencies_ms", [])
    if not samples:
        return {"error": f"no frame codes received ({receiver.stderr.strip()[-200:]})"}
    q = np.percentile(samples, [50, 95, 99])
    return {"frames": len(samples), "p50_ms": round(float(q[0]), 1), "p95_ms": round(float(q[1]), 1),
            "p99_ms": round(float(q[2]), 1), "missing_frames": json.loads(receiver.stdout).get("missing", None),
            "dropped": stats.get("dropped")}


def _percentiles(samples: list[float], missing: int | None) -> dict[str, Any]:
    q = np.percentile(samples, [50, 95, 99])
    return {"frames": len(samples), "p50_ms": round(float(q[0]), 1), "p95_ms": round(float(q[1]), 1),
            "p99_ms": round(float(q[2]), 1), "missing_frames": missing}


def _start_whip_peer(seconds: float) -> tuple[subprocess.Popen, str, str]:
    """The WHIP latency peer in its own process, ready: (process, endpoint URL, key)."""
    from seller_studio.common.net import free_port

    port, key = free_port(), "bench"
    peer = subprocess.Popen([sys.executable, "-m", "seller_studio.diagnostics.whip_latency_probe", str(port), key,
                             str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert peer.stdout is not None
    if peer.stdout.readline().strip() != "ready":
        peer.kill()
        raise RuntimeError(tr_noop("the WHIP peer did not start ({output})").format(
            output=(peer.stderr.read() if peer.stderr else "")[-200:]))
    return peer, f"http://127.0.0.1:{port}/whip", key


def _whip_result(out: str, err: str, output: Any, stats: dict[str, Any]) -> dict[str, Any]:
    lines = out.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    if not result.get("latencies_ms"):
        return {"error": f"no frame codes received over WHIP ({err.strip()[-200:]})"}
    return {**_percentiles(result["latencies_ms"], result.get("missing")), "audio_frames": result.get("audio_frames"),
            "setup_ms": round(output.setup_ms or 0), "dropped": stats.get("dropped")}


def whip_latency(seconds: float, progress: Progress, width: int = 1280, height: int = 720,
                 fps: int = 30) -> dict[str, Any]:
    """Capture -> WHIP -> decoded-at-the-peer latency of the test pattern's frame codes (loopback)."""
    from seller_studio.media.encoders.base import AudioSettings
    from seller_studio.media.outputs.whip import WhipOutput

    peer, url, key = _start_whip_peer(seconds)
    studio = None
    try:
        studio = pattern_studio(width, height, fps)
        output = WhipOutput(url, key)
        session = studio.go_live([output], VideoSettings(width, height, fps, 2500), AudioSettings())
        progress(f"latency: {seconds:.0f} s over WHIP to an aiortc peer in another process")
        out, err = peer.communicate(timeout=seconds + 60)
        stats = session.last_stats
    finally:
        if studio is not None:
            studio.stop()
        if peer.poll() is None:
            peer.kill()
            peer.wait()
    return _whip_result(out, err, output, stats)


def latency_comparison(seconds: float, progress: Progress, width: int = 1280, height: int = 720,
                       fps: int = 30) -> dict[str, Any]:
    """RTMP and WHIP latency of the same frames at the same time (``bench --latency-only``): one
    encode (H.264 baseline, as WHIP needs) feeds an RTMP output to local nginx-rtmp, read back by a
    player process, and a WHIP output to an aiortc peer process, so the machine's load at any
    moment hits both alike."""
    from seller_studio.media.encoders.base import AudioSettings
    from seller_studio.media.outputs.stream import StreamOutput
    from seller_studio.media.outputs.whip import WhipOutput

    result: dict[str, Any] = {"cores": os.cpu_count(), "size": f"{width}x{height}", "fps": fps, "seconds": seconds}
    ingest_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    ingest = RtmpServer(ingest_dir).start()
    studio = player = None
    try:
        peer, url, key = _start_whip_peer(seconds)
        try:
            studio = pattern_studio(width, height, fps)
            whip = WhipOutput(url, key, name="whip")
            rtmp = StreamOutput(ingest.url, "bench", name="rtmp")
            session = studio.go_live([rtmp, whip], VideoSettings(width, height, fps, 2500), AudioSettings())
            progress(f"latency: {seconds:.0f} s to nginx-rtmp and to a WHIP peer at the same time")
            player = subprocess.Popen([sys.executable, "-m", "seller_studio.diagnostics.latency_probe",
                                       f"{ingest.url}/bench", str(seconds)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            time.sleep(1.2)  # past the connection's set-up (certificate, ICE): the steady cost only
            live_at, cpu_at = time.monotonic(), whip.thread_cpu_s
            whip_out, whip_err = peer.communicate(timeout=seconds + 60)
            rtmp_out, rtmp_err = player.communicate(timeout=seconds + 60)
            stats = session.last_stats
            # What the WHIP output costs beside the RTMP one: its thread does the Opus encode, the
            # RTP packetizing, SRTP and ICE (RTMP's muxing and sending run inside FFmpeg).
            result["whip_output_cpu_percent_of_one_core"] = round(
                100 * (whip.thread_cpu_s - cpu_at) / max(1e-3, time.monotonic() - live_at), 1)
        finally:
            for proc in (peer, player):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait()
    finally:
        if studio is not None:
            studio.stop()
        ingest.stop()
        shutil.rmtree(ingest_dir, ignore_errors=True)
    samples = json.loads(rtmp_out or "{}").get("latencies_ms", [])
    result["latency"] = (_percentiles(samples, json.loads(rtmp_out).get("missing")) if samples
                         else {"error": f"no frame codes received over RTMP ({rtmp_err.strip()[-200:]})"})
    result["whip_latency"] = _whip_result(whip_out, whip_err, whip, stats)
    result["dropped"] = stats.get("dropped")
    return result


def sustainable(cpu_ms_720: float, cpu_ms_1080: float) -> list[dict[str, Any]]:
    """Which candidates fit in 80 % of this machine's cores, estimated from the CPU per frame
    measured at 30 fps (60 fps costs about twice as much per second)."""
    cores = os.cpu_count() or 1
    per_pixel_ms = {720: cpu_ms_720 / (1280 * 720), 1080: cpu_ms_1080 / (1920 * 1080)}
    verdicts = []
    for w, h, fps in CANDIDATES:
        per_px = per_pixel_ms[1080] if h >= 1080 else per_pixel_ms[720]
        load = per_px * w * h * fps / 1000 / cores  # fraction of all cores
        verdicts.append({"size": f"{w}x{h}", "fps": fps, "cpu_load": round(load, 3), "fits": load <= HEADROOM})
    return verdicts


def run_bench(quick: bool = False, with_latency: bool = True, progress: Progress | None = None) -> dict[str, Any]:
    """Run everything; ``quick`` (first-run setup) uses fewer frames and one round."""
    progress = progress or (lambda message: None)
    seconds, rounds = (2.0, 1) if quick else (4.0, 3)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        result: dict[str, Any] = {"cores": os.cpu_count()}
        result["cpu"] = [cpu_ratio(1280, 720, 30, seconds, rounds, work, progress),
                         cpu_ratio(1920, 1080, 30, seconds, rounds, work, progress)]
        if with_latency:
            try:
                result["latency"] = latency(5.0 if quick else 15.0, progress)
            except RuntimeError as exc:
                result["latency"] = {"error": str(exc)}
            if not quick:
                try:
                    result["whip_latency"] = whip_latency(15.0, progress)
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                    result["whip_latency"] = {"error": str(exc)}
        verdicts = sustainable(result["cpu"][0]["studio_cpu_ms_per_frame"], result["cpu"][1]["studio_cpu_ms_per_frame"])
        result["sustainable"] = verdicts
        highest = next((v for v in verdicts if v["fits"]), verdicts[-1])
        result["highest_sustainable"] = {"size": highest["size"], "fps": highest["fps"]}
        # Recommend no more than 1280x720@30, the reference default: the upload speed, not the CPU,
        # is what most sellers run short of, and this bench cannot see the uplink.
        best = next((v for v in verdicts if v["fits"] and (v["size"], v["fps"]) in SAFE_DEFAULTS), verdicts[-1])
        w, h = (int(x) for x in best["size"].split("x"))
        low, _ = BITRATE_GUIDE[(w, h, best["fps"])]
        result["recommended"] = {"width": w, "height": h, "fps": best["fps"], "bitrate_kbps": int(round(low, -2)),
                                 "encoder": "x264", "preset": "veryfast"}
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
