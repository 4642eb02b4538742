"""Two canvases at once (issue 14): landscape 1280x720 and vertical 720x1280 at 30 fps from the same
sources and sound, one encode per canvas, three destinations (two on the landscape canvas, one on
the vertical) into a local nginx-rtmp; for as long as asked.

    .venv/bin/python benchmarks/dual_canvas.py [--minutes 10] [--record DIR] [--single-first 1] [--tracemalloc]

Prints every 30 s, then a summary: frames dropped by cause per canvas (render lag, encode lag,
network), process CPU (% of one core; the machine's other load is printed beside it), RSS and its
growth per minute after the first minute (a least-squares slope over the samples), the encode and
render time per frame (p50/p95). ``--single-first N`` first runs N minutes of the landscape canvas
alone (same sources, two destinations) so the cost of the second canvas can be read off.
RSS growth is printed twice: a least-squares slope over all samples, and over each minute's lowest
sample (RSS swings by tens of MB while frames queue behind a starved encoder; the troughs show what
stays). ``--tracemalloc`` compares Python's allocations after the warm-up with the end and prints the lines
that grew most (slower; to tell a Python-level leak from the allocator's and codecs' own memory).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seller_studio.diagnostics.rtmp_server import RtmpServer  # noqa: E402
from seller_studio.media.audio.synthetic import ToneSource  # noqa: E402
from seller_studio.media.compositor import Layer, Rect, Scene  # noqa: E402
from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.recording import RecordingOutput  # noqa: E402
from seller_studio.media.outputs.stream import StreamOutput  # noqa: E402
from seller_studio.media.sources.overlay import TextSource  # noqa: E402
from seller_studio.media.sources.test_pattern import TestPatternSource  # noqa: E402
from seller_studio.media.stats import CpuMeter, rss_mb  # noqa: E402
from seller_studio.media.studio import Studio  # noqa: E402

W, H, VW, VH, FPS, KBPS = 1280, 720, 720, 1280, 30, 2500
STOP = threading.Event()  # Ctrl-C / SIGTERM: end the run early and print what was measured


def build(with_vertical: bool) -> Studio:
    studio = Studio(W, H, FPS)
    studio.add_source(TestPatternSource("camera", W, H, FPS))
    studio.add_source(TextSource("title", "Vintage denim night"))
    studio.add_scene(Scene("Camera + title", [Layer("camera"), Layer("title", Rect(32, 32, 512, 80), z=1)]))
    studio.add_audio(ToneSource("tone"))
    if with_vertical:
        studio.add_vertical_canvas(VW, VH, [studio.derive_vertical(s, (VW, VH)) for s in studio.compositor.scenes.values()])
    studio.start()
    return studio


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def slope_per_min(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return 0.0
    ts, ys = [t for t, _ in samples], [y for _, y in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return 60 * sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else 0.0


def lowest_per_minute(samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each minute's lowest RSS: frames queued behind a starved encoder (and the allocator keeping
    what they used) swing RSS by tens of MB for seconds; the troughs show what stays."""
    minutes: dict[int, tuple[float, float]] = {}
    for t, y in samples:
        m = int(t // 60)
        if m not in minutes or y < minutes[m][1]:
            minutes[m] = (t, y)
    return [minutes[m] for m in sorted(minutes)]


def run(server: RtmpServer, minutes: float, with_vertical: bool, record_dir: Path | None,
        trace: bool = False) -> None:
    label = "dual canvas 1280x720 + 720x1280" if with_vertical else "landscape only 1280x720"
    studio = build(with_vertical)
    video = VideoSettings(W, H, FPS, KBPS)
    land = [StreamOutput(f"{server.url}/land{i}", "", name=f"landscape-{i}") for i in (1, 2)]
    if record_dir is not None:
        land.append(RecordingOutput(record_dir / "bench.mkv"))
    sessions = [studio.go_live(land, video, AudioSettings())]
    if with_vertical:
        vert: list = [StreamOutput(f"{server.url}/vert", "", name="vertical")]
        if record_dir is not None:
            vert.append(RecordingOutput(record_dir / "bench.vertical.mkv"))
        sessions.append(studio.go_live(vert, VideoSettings(VW, VH, FPS, KBPS), AudioSettings(), canvas="vertical"))
    cpu = CpuMeter()
    cpu.percent()
    t0 = time.monotonic()
    rss: list[tuple[float, float]] = []
    cpu_samples: list[float] = []
    next_print = 30.0
    warm_s = min(60.0, minutes * 60 / 3)
    first_snapshot = None
    print(f"== {label}, 30 fps, {sum(len(s.outputs) for s in sessions)} outputs, {minutes:g} min "
          f"(load before: {os.getloadavg()[0]:.1f})", flush=True)
    try:
        while (elapsed := time.monotonic() - t0) < minutes * 60 and not STOP.is_set():
            if STOP.wait(5):
                break
            elapsed = time.monotonic() - t0
            rss.append((elapsed, rss_mb()))
            if trace and first_snapshot is None and elapsed >= warm_s:
                import tracemalloc

                first_snapshot = tracemalloc.take_snapshot()
            cpu_samples.append(cpu.percent())
            if elapsed >= next_print:
                next_print += 30
                parts = []
                for s in sessions:
                    st = s.latest
                    if st is not None:
                        d = st.dropped
                        parts.append(f"{s.canvas}: {st.frames_encoded} frames, dropped render {d.render_lag} "
                                     f"encode {d.encode_lag} network {d.network}, encode {st.encode_ms_per_frame:.1f} ms")
                print(f"  {elapsed:5.0f} s  CPU {cpu_samples[-1]:5.1f} %  RSS {rss[-1][1]:6.1f} MB  load "
                      f"{os.getloadavg()[0]:4.1f}  " + " | ".join(parts), flush=True)
    finally:
        last_snapshot = None
        if trace and first_snapshot is not None:
            import tracemalloc

            last_snapshot = tracemalloc.take_snapshot()
        finals = [(s, s.latest) for s in sessions]
        studio.stop(timeout_s=5)  # first: the clock threads append to the render times until then
        comps = [studio.compositor] + ([studio.vertical] if studio.vertical is not None else [])
        render = {c.width: [t * 1000 for t in c.render_cpu_times_s] for c in comps}
    warm = [(t, y) for t, y in rss if t >= warm_s]
    if first_snapshot is not None and last_snapshot is not None:
        span_min = max(1e-3, (rss[-1][0] - warm_s) / 60)
        diffs = last_snapshot.compare_to(first_snapshot, "lineno")
        print(f"   Python allocations after the warm-up: {sum(d.size_diff for d in diffs) / 1e6 / span_min:+.3f} MB/min; "
              "the lines that grew most:")
        for d in diffs[:6]:
            print(f"     {d.size_diff / 1e3:+9.1f} kB {d.count_diff:+6d} blocks  {d.traceback[0]}")
    print(f"-- {label}: {rss[-1][0] / 60 if rss else 0:.1f} min")
    for s, st in finals:
        if st is None:
            continue
        d = st.dropped
        enc = s._encode_s_total / max(1, s.frames_encoded) * 1000
        print(f"   {s.canvas:9s} {s.video_settings.width}x{s.video_settings.height}: {s.frames_encoded} frames encoded "
              f"({s.frames_encoded / max(1e-3, st.t_s + 1):.2f} fps); dropped render lag {d.render_lag}, encode lag "
              f"{d.encode_lag}, network {d.network}; encode+audio mean {enc:.1f} ms/frame; "
              f"sent {sum(getattr(o, 'bytes_sent', 0) for o in s.outputs) / 1e6:.0f} MB")
    for width, times in render.items():
        print(f"   render (thread CPU) {width}-wide canvas: p50 {statistics.median(times) if times else 0:.2f} ms "
              f"p95 {pct(times, 0.95):.2f} ms")
    print(f"   process CPU: mean {statistics.fmean(cpu_samples) if cpu_samples else 0:.0f} % of one core "
          f"(p95 {pct(cpu_samples, 0.95):.0f} %); RSS {rss[0][1] if rss else 0:.0f} -> {rss[-1][1] if rss else 0:.0f} MB, "
          f"growth after warm-up {slope_per_min(warm):+.2f} MB/min (each minute's lowest RSS: "
          f"{slope_per_min(lowest_per_minute(warm)):+.2f} MB/min); load at the end {os.getloadavg()[0]:.1f}",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--single-first", type=float, default=0.0, metavar="MIN")
    parser.add_argument("--record", type=Path, metavar="DIR", help="also record both canvases into DIR")
    parser.add_argument("--tracemalloc", action="store_true", help="print where Python's memory grew")
    args = parser.parse_args()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: STOP.set())
    with tempfile.TemporaryDirectory() as tmp:
        server = RtmpServer(Path(tmp) / "nginx").start()
        try:
            if args.single_first:
                run(server, args.single_first, False, None)
            if not STOP.is_set():
                run(server, args.minutes, True, args.record, trace=args.tracemalloc)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
