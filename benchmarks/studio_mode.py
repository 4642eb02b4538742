"""What Studio Mode costs the compositor: the program alone, plus the off-air preview scene (rendered
every other frame), and a fade (two scenes composed and blended each frame).

    .venv/bin/python benchmarks/studio_mode.py [--frames 300] [--size 1920x1080]

Two scenes of a 1280x720 camera-like picture (the test pattern, scaled to the canvas) with a title
and a picture-in-picture inset; the compositor's own render path, timed per program frame in wall
and thread CPU time (the CPU time holds whatever else the machine runs). Prints median and p95 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seller_studio.media.compositor import Compositor, Layer, Rect, Scene  # noqa: E402
from seller_studio.media.sources.overlay import TextSource  # noqa: E402
from seller_studio.media.sources.test_pattern import TestPatternSource  # noqa: E402


def run(width: int, height: int, frames: int, mode: str) -> tuple[list[float], list[float]]:
    cam = TestPatternSource("cam", 1280, 720, 30)
    inset = TestPatternSource("inset", 640, 360, 30)
    title = TextSource("title", "Vintage denim night")
    comp = Compositor(width, height, 30, {"cam": cam, "inset": inset, "title": title}, [
        Scene("Camera", [Layer("cam"), Layer("title", Rect(width // 20, height // 20, width * 2 // 5, height // 10), z=1)]),
        Scene("Close-up", [Layer("inset"), Layer("cam", Rect(width * 3 // 4, height * 3 // 4, width // 5, height // 5), z=1)]),
    ])
    if mode != "program only":
        comp.set_preview_scene("Close-up")
    wall, cpu = [], []
    for i in range(frames):
        if mode == "fading" and i % 15 == 0:  # a 500 ms fade starting every 500 ms: always fading
            comp.set_scene("Close-up" if comp.active_scene == "Camera" else "Camera", fade_ms=500)
        t0, c0 = time.perf_counter(), time.thread_time()
        comp.render(i, time.monotonic())
        if comp.preview_scene is not None and i % 2 == 0:  # as the clock thread does
            comp.render_scene(comp.preview_scene, i, time.monotonic())
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="1280x720,1920x1080")
    args = parser.parse_args()
    for size in args.size.split(","):
        width, height = (int(n) for n in size.split("x"))
        for mode in ("program only", "studio mode (preview every 2nd frame)", "fading"):
            wall, cpu = run(width, height, args.frames, mode)
            wall.sort()
            cpu.sort()
            print(f"{size} {mode:38s} wall median {statistics.median(wall):5.2f} ms p95 {wall[int(len(wall) * .95)]:5.2f} ms"
                  f" | cpu median {statistics.median(cpu):5.2f} ms p95 {cpu[int(len(cpu) * .95)]:5.2f} ms", flush=True)
    print("(budget at 30 fps: 33.3 ms per frame for everything, on 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
