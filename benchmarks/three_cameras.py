"""Three cameras into one 1080p30 program: render lag, CPU and the compositor's time per frame.

    .venv/bin/python benchmarks/three_cameras.py [--seconds 30] [--no-encode]

A card breaker's overhead cam, face cam and product cam: three 1280x720 30 fps MJPEG files (what a USB
webcam sends) opened as cameras through OpenCV, each on its own capture thread with its own watchdog,
composed into a 1920x1080 30 fps program (overhead full screen, face and product as insets), then
encoded with x264 veryfast 6000 kbps and recorded to MKV as when live. Prints render lag (ticks the
compositor skipped), encode lag, process CPU, the compositor's ms per frame (wall and its thread's CPU
time, which holds whatever else the machine runs) and each camera's delivered fps. Goal: 0 render lag on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seller_studio.media.compositor import Layer, Rect, Scene  # noqa: E402
from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.recording import RecordingOutput  # noqa: E402
from seller_studio.media.sources.camera import CameraSource  # noqa: E402
from seller_studio.media.studio import Studio  # noqa: E402

W, H, FPS = 1920, 1080, 30
PATTERNS = ("testsrc2", "smptehdbars", "mandelbrot")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def make_clips(folder: Path, seconds: int) -> list[Path]:
    clips = []
    for i, pattern in enumerate(PATTERNS):
        path = folder / f"cam{i}.mkv"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"{pattern}=size=1280x720:rate=30",
                        "-t", str(seconds), "-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj422p", str(path)],
                       check=True)
        clips.append(path)
    return clips


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds per thread group (Linux /proc): the cameras' capture threads, the compositor, the
    encoder, the outputs, and native threads (x264's and OpenCV's own workers)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick_s = 1 / os.sysconf("SC_CLK_TCK")
    groups: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread just ended
        name = names.get(int(task.name), "native")
        group = ("cameras" if name.startswith("source-camera") else "watchdogs" if name.startswith("camera-watchdog")
                 else "outputs" if name.startswith("output-") else name if name in ("compositor", "encoder", "MainThread")
                 else "native")
        groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) * tick_s
    return groups


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--no-encode", action="store_true", help="compose only (the preview while not live)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="three-cams-") as tmp:
        folder = Path(tmp)
        clips = make_clips(folder, int(args.seconds) + 15)
        studio = Studio(W, H, FPS)
        cams = [CameraSource(f"cam{i}", str(clip), 1280, 720, FPS) for i, clip in enumerate(clips)]
        for cam in cams:
            studio.add_source(cam)
        inset_w, inset_h, margin = 480, 270, 24
        studio.add_scene(Scene("break", [
            Layer("cam0", None, z=0),  # overhead: full screen
            Layer("cam1", Rect(W - inset_w - margin, margin, inset_w, inset_h), z=1),  # face cam
            Layer("cam2", Rect(W - inset_w - margin, H - inset_h - margin, inset_w, inset_h), z=1),  # product
        ]))
        studio.start()
        time.sleep(2.0)  # cameras open, first frames in
        session = None
        if not args.no_encode:
            session = studio.go_live([RecordingOutput(folder / "show.mkv")],
                                     VideoSettings(W, H, FPS, 6000, preset="veryfast"), AudioSettings())
        comp = studio.compositor
        lag0, counts0 = comp.frames_skipped_render_lag, [c.slot.frames_in for c in cams]
        comp.render_times_s.clear()
        comp.render_cpu_times_s.clear()
        rendered0, encoded0 = comp.frames_rendered, session.frames_encoded if session is not None else 0
        cpu0, wall0, threads0 = cpu_s(), time.monotonic(), thread_cpu_s()
        time.sleep(args.seconds)
        cpu1, wall1, threads1 = cpu_s(), time.monotonic(), thread_cpu_s()
        rendered = comp.frames_rendered - rendered0
        frames_in = sum(c.slot.frames_in - n for c, n in zip(cams, counts0, strict=True))
        encoded_in_window = (session.frames_encoded - encoded0) if session is not None else 0
        render_ms = [t * 1000 for t in comp.render_times_s]
        render_cpu_ms = [t * 1000 for t in comp.render_cpu_times_s]
        load = os.getloadavg()
        lag = comp.frames_skipped_render_lag - lag0
        delivered = [(c.slot.frames_in - n) / (wall1 - wall0) for c, n in zip(cams, counts0, strict=True)]
        encode_lag = session.frames_dropped_encode_lag if session is not None else 0
        encoded = session.frames_encoded if session is not None else 0
        studio.stop()
    mode = "compose only" if args.no_encode else "compose + x264 veryfast 1080p30 6000 kbps + MKV recording"
    print(f"three 1280x720 MJPEG cameras -> {W}x{H}@{FPS}, {mode}, {args.seconds:g} s on {os.cpu_count()} cores "
          f"(load average {load[0]:.1f} at the end)")
    print(f"  render lag: {lag} frames skipped of {len(render_ms) + lag} ticks")
    if session is not None:
        print(f"  encode lag: {encode_lag} frames; frames encoded: {encoded}")
    print(f"  process CPU: {100 * (cpu1 - cpu0) / (wall1 - wall0):.0f}% of one core "
          f"({100 * (cpu1 - cpu0) / (wall1 - wall0) / (os.cpu_count() or 1):.0f}% of the machine)")
    print(f"  compositor ms/frame: p50 {statistics.median(render_ms):.2f}, p95 {percentile(render_ms, 95):.2f}, "
          f"p99 {percentile(render_ms, 99):.2f}, max {max(render_ms):.2f} over {len(render_ms)} frames")
    print(f"  compositor CPU ms/frame (its own thread's CPU time): p50 {statistics.median(render_cpu_ms):.2f}, "
          f"p95 {percentile(render_cpu_ms, 95):.2f}")
    spent = {g: threads1.get(g, 0.0) - threads0.get(g, 0.0) for g in threads1}
    per_frame = {"cameras": (spent.get("cameras", 0.0), frames_in / 3),
                 "compositor": (spent.get("compositor", 0.0), rendered),
                 "encoder + native (x264, OpenCV workers)": (spent.get("encoder", 0.0) + spent.get("native", 0.0),
                                                             encoded_in_window or rendered)}
    need = 0.0
    for group, (cpu, frames) in per_frame.items():
        ms = 1000 * cpu / max(1, frames)
        need += ms * FPS / 1000
        print(f"  CPU {group}: {100 * cpu / (wall1 - wall0):.0f}% of one core, {ms:.1f} ms per program frame")
    print(f"  CPU needed for {FPS} fps (per-frame costs x {FPS}): {need:.2f} cores of {os.cpu_count()}")
    print("  cameras delivered: " + ", ".join(f"{c.id} {fps:.1f} fps" for c, fps in zip(cams, delivered, strict=True)))
    print(f"  camera freezes: {sum(c.freezes for c in cams)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
