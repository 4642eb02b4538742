"""The end-to-end bench: the studio against the ffmpeg command line on a real source, whole process.

A new user's comparison, not a per-frame one: a YUV video file (by default a generated testsrc2 clip
in y4m, yuv420p) played as the camera and streamed to a local nginx-rtmp with the same settings on
both sides (x264 veryfast, zerolatency, CBR, keyframe every 2 s, no B-frames, AAC 160 kbps of the
same looped 440 Hz WAV: the cost of AAC depends on the sound, so both encode the same one), as
``seller-studio stream`` and as ``ffmpeg -re -i clip ... -f flv rtmp://...``. Each run is
one process timed as a whole (user + system CPU of the process and its children, from ``wait4``,
start-up included) and its peak RSS; the two alternate so background load hits both alike, and
the medians are compared (ratio = studio / ffmpeg, lower is better).

The demo scene (camera + title + product card + picture-in-picture of a second camera) runs
against an ffmpeg filter graph that draws the same PNGs with ``overlay``.

``baseline_tree`` also times the studio from another source tree (an older checkout) in the same
alternation: before/after figures from one run on one machine.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from seller_studio.i18n import tr_noop

Progress = Callable[[str], None]

SIZES: dict[str, tuple[int, int]] = {"720p30": (1280, 720), "1080p30": (1920, 1080)}
BITRATE_KBPS: dict[tuple[int, int], int] = {(1280, 720): 2500, (1920, 1080): 4500}
FPS = 30
CLIP_SECONDS = 2  # the generated clip is looped: 2 s of 1080p y4m is already 190 MB


@dataclass
class RunFigures:
    cpu_s: float
    max_rss_mb: float
    wall_s: float
    frames: int | None = None  # the studio's frames encoded ("done: N frames")
    dropped: int | None = None  # render lag + encode lag: a studio that skips frames is not cheaper
    first_frame_s: float | None = None  # process start -> first video packet pushed


DONE_LINE = re.compile(r"done: (?:\w+ )?(\d+) frames\b.*?dropped render (\d+) / encode (\d+)")
FIRST_LINE = re.compile(r"first frame pushed ([\d.]+) s")


@dataclass
class CaseResult:
    case: str  # "720p30", "1080p30", "720p30 demo scene", ...
    seconds: float
    pairs: int
    studio: list[RunFigures] = field(default_factory=list)
    ffmpeg: list[RunFigures] = field(default_factory=list)
    baseline: list[RunFigures] = field(default_factory=list)  # the studio from baseline_tree

    @staticmethod
    def _median_cpu(runs: list[RunFigures]) -> float:
        return statistics.median(r.cpu_s for r in runs) if runs else float("nan")

    @property
    def studio_cpu_s(self) -> float:
        return self._median_cpu(self.studio)

    @property
    def ffmpeg_cpu_s(self) -> float:
        return self._median_cpu(self.ffmpeg)

    @property
    def ratio(self) -> float:
        return self.studio_cpu_s / self.ffmpeg_cpu_s

    @property
    def baseline_ratio(self) -> float | None:
        return self._median_cpu(self.baseline) / self.ffmpeg_cpu_s if self.baseline else None

    @property
    def studio_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.studio)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(studio_cpu_s=round(self.studio_cpu_s, 3), ffmpeg_cpu_s=round(self.ffmpeg_cpu_s, 3),
                 ratio=round(self.ratio, 3), studio_rss_mb=round(self.studio_rss_mb, 1),
                 baseline_ratio=None if self.baseline_ratio is None else round(self.baseline_ratio, 3))
        return d


def timed_wait4(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> RunFigures:
    """Run ``cmd`` and reap it with ``wait4``: the CPU and peak RSS of that process alone (and what
    it says about frames when it is the studio)."""
    import time

    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        # cwd: ``python -m`` imports from the working directory first, whatever PYTHONPATH says.
        proc = subprocess.Popen(cmd, env=env, cwd=cwd or tempfile.gettempdir(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(tr_noop("{command} ... failed ({code}): {output}").format(
            command=f"{Path(cmd[0]).name} {' '.join(cmd[1:4])}", code=proc.returncode, output=text.strip()[-400:]))
    figures = RunFigures(round(usage.ru_utime + usage.ru_stime, 3), round(usage.ru_maxrss / 1024, 1),
                         round(time.monotonic() - started, 2))
    if (done := DONE_LINE.search(text)) is not None:
        figures.frames, figures.dropped = int(done[1]), int(done[2]) + int(done[3])
    if (first := FIRST_LINE.search(text)) is not None:
        figures.first_frame_s = float(first[1])
    return figures


def make_clip(path: Path, width: int, height: int, fps: int = FPS, seconds: float = CLIP_SECONDS) -> Path:
    """A testsrc2 clip in y4m (yuv420p): what a file or a YUV camera hands the studio."""
    if not path.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size={width}x{height}:rate={fps}", "-t", str(seconds), "-pix_fmt", "yuv420p",
                        str(path)], check=True)
    return path


def make_tone(path: Path) -> Path:
    """2 s of a 440 Hz sine, 48 kHz stereo (880 whole cycles: it loops without a click)."""
    if not path.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", "2", "-ac", "2", str(path)], check=True)
    return path


def make_overlay_pngs(work: Path, width: int, height: int) -> tuple[Path, tuple[int, int], Path, tuple[int, int]]:
    """The demo's title and product card as RGBA PNGs at their size on the canvas, and where they go."""
    import cv2
    import numpy as np

    from seller_studio.media.layouts import card_layout, title_rect

    t = title_rect(width, height)
    title = np.zeros((t.h, t.w, 4), np.uint8)
    title[:] = (0, 0, 0, 160)
    cv2.putText(title, "Vintage cards - live now", (t.h // 4, t.h * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX,
                t.h / 60, (255, 255, 255, 255), max(1, t.h // 30), cv2.LINE_AA)
    fx, fy, fw, fh = card_layout(width, height)
    cx, cy, cw, ch = round(fx * width), round(fy * height), round(fw * width), round(fh * height)
    card = np.zeros((ch, cw, 4), np.uint8)
    cv2.rectangle(card, (0, 0), (cw - 1, ch - 1), (255, 255, 255, 230), -1)
    cv2.rectangle(card, (ch // 10, ch // 10), (ch - ch // 10, ch - ch // 10), (200, 120, 40, 255), -1)
    cv2.putText(card, "Lot 12  $45", (ch + ch // 10, ch // 3), cv2.FONT_HERSHEY_SIMPLEX, ch / 160,
                (20, 20, 20, 255), max(1, ch // 80), cv2.LINE_AA)
    cv2.putText(card, "3 bids - 0:21", (ch + ch // 10, ch * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX, ch / 200,
                (60, 60, 200, 255), max(1, ch // 100), cv2.LINE_AA)
    title_png, card_png = work / f"title-{width}.png", work / f"card-{width}.png"
    # PNG stores BGRA through OpenCV: convert so the file holds the colours drawn above as RGBA.
    cv2.imwrite(str(title_png), cv2.cvtColor(title, cv2.COLOR_RGBA2BGRA))
    cv2.imwrite(str(card_png), cv2.cvtColor(card, cv2.COLOR_RGBA2BGRA))
    return title_png, (t.x, t.y), card_png, (cx, cy)


def x264_cli(width: int, height: int, kbps: int) -> list[str]:
    """The ffmpeg options equal to the studio's H264Encoder with ``--no-dynamic-bitrate``."""
    gop = 2 * FPS
    return ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", f"{kbps}k",
            "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k", "-g", str(gop), "-bf", "0", "-pix_fmt", "yuv420p",
            "-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:nal-hrd=cbr", "-forced-idr", "1",
            "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]


def ffmpeg_cmd(clip: Path, tone: Path, url: str, width: int, height: int, seconds: float,
               overlays: tuple[Path, tuple[int, int], Path, tuple[int, int]] | None = None,
               clip_size: tuple[int, int] | None = None) -> list[str]:
    kbps = BITRATE_KBPS.get((width, height), 2500)
    camera = ["-re", "-stream_loop", "-1", "-i", str(clip)]
    sound = ["-stream_loop", "-1", "-i", str(tone)]
    if overlays is None:
        inputs, graph = camera + sound, ["-map", "0:v", "-map", "1:a"]
        if clip_size is not None and clip_size != (width, height):  # the studio fills the canvas: so does this
            graph = ["-filter_complex", f"[0:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
                                        f"crop={width}:{height}[v]", "-map", "[v]", "-map", "1:a"]
    else:
        title, (tx, ty), card, (cx, cy) = overlays
        inset_w, inset_h = width // 4, height // 4
        margin = max(8, width // 64)
        px, py = width - inset_w - margin, height - inset_h - margin
        inputs = camera + camera + ["-i", str(title), "-i", str(card)] + sound
        graph = ["-filter_complex",
                 f"[1:v]scale={inset_w}:{inset_h}[pip];[0:v][pip]overlay={px}:{py}[a];"
                 f"[a][2:v]overlay={tx}:{ty}[b];[b][3:v]overlay={cx}:{cy}[v]",
                 "-map", "[v]", "-map", "4:a"]
    return ["ffmpeg", "-v", "error", "-nostdin", *inputs, *graph, "-t", str(seconds), "-r", str(FPS),
            *x264_cli(width, height, kbps), "-f", "flv", url]


def studio_cmd(clip: Path, tone: Path, url: str, width: int, height: int, seconds: float,
               overlays: tuple[Path, tuple[int, int], Path, tuple[int, int]] | None = None) -> list[str]:
    kbps = BITRATE_KBPS.get((width, height), 2500)
    if overlays is None:
        return [sys.executable, "-m", "seller_studio", "stream", "--camera", str(clip), "--url", url, "--no-key",
                "--size", f"{width}x{height}", "--fps", str(FPS), "--bitrate", str(kbps), "--duration", str(seconds),
                "--no-dynamic-bitrate", "--mic", str(tone)]
    title, (tx, ty), card, (cx, cy) = overlays
    script = Path(__file__).with_name("bench_scene.py")  # this tree's script, whichever tree it imports
    return [sys.executable, str(script), str(clip), url, f"{width}x{height}", str(FPS), str(kbps), str(seconds),
            str(title), f"{tx},{ty}", str(card), f"{cx},{cy}", str(tone)]


_PYCACHE: Path | None = None


def tree_env(tree: Path | None) -> dict[str, str]:
    """The environment a studio process runs in: ``tree`` on the path, and its bytecode compiled
    once as an installed app has it (pip compiles at install; a ``PYTHONDONTWRITEBYTECODE`` shell
    would otherwise make every run compile ~70 modules, 0.4 s of CPU that no user pays)."""
    global _PYCACHE
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if _PYCACHE is None:
        _PYCACHE = Path(tempfile.mkdtemp(prefix="bench-pycache-"))
    env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)  # filled by the warm-up runs, outside the tree
    return env


def run_case(case: str, clip: Path, tone: Path, url: str, width: int, height: int, seconds: float, pairs: int,
             overlays: tuple | None, baseline_tree: Path | None, progress: Progress,
             clip_size: tuple[int, int] | None = None) -> CaseResult:
    result = CaseResult(case, seconds, pairs)
    here = Path(__file__).resolve().parents[2]  # the tree this module comes from
    for n in range(pairs):
        progress(f"{case}: pair {n + 1}/{pairs}")
        # Alternate the order too, so neither side always runs right after the other.
        sides = ["studio", "ffmpeg", "baseline"] if n % 2 == 0 else ["ffmpeg", "baseline", "studio"]
        for side in sides:
            key = f"{url}/{side}{n}"
            if side == "ffmpeg":
                result.ffmpeg.append(timed_wait4(ffmpeg_cmd(clip, tone, key, width, height, seconds, overlays, clip_size)))
            elif side == "studio":
                result.studio.append(timed_wait4(studio_cmd(clip, tone, key, width, height, seconds, overlays),
                                                 tree_env(here)))
            elif baseline_tree is not None:
                result.baseline.append(timed_wait4(studio_cmd(clip, tone, key, width, height, seconds, overlays),
                                                   tree_env(baseline_tree)))
    return result


def version_cpu_s(tree: Path | None = None, runs: int = 5) -> float:
    """Median whole-process CPU of ``seller-studio --version`` (the start-up floor)."""
    cmd = [sys.executable, "-m", "seller_studio", "--version"]
    return statistics.median(timed_wait4(cmd, tree_env(tree or Path(__file__).resolve().parents[2])).cpu_s
                             for _ in range(runs))


def run_e2e(source: Path | None = None, seconds: float = 60.0, pairs: int = 3, sizes: list[str] | None = None,
            with_scene: bool = True, baseline_tree: Path | None = None,
            progress: Progress | None = None) -> dict:
    """Every case: the generated clip at 720p30 and 1080p30 (``sizes``), or ``source`` on a canvas of
    its own size (or of each of ``sizes``, scaled to fill on both sides)."""
    from seller_studio.diagnostics.rtmp_server import RtmpServer

    global _PYCACHE
    progress = progress or (lambda message: None)
    source_size = probe_size(source) if source is not None else None
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    ingest = RtmpServer(work / "ingest").start()
    cases: list[CaseResult] = []
    try:
        result: dict = {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                        "seconds": seconds, "pairs": pairs, "source": str(source) if source else "testsrc2 y4m"}
        result["version_cpu_s"] = round(version_cpu_s(), 3)
        if baseline_tree is not None:
            result["baseline_version_cpu_s"] = round(version_cpu_s(baseline_tree), 3)
        if source_size is not None and not sizes:
            canvases = [(f"{source_size[0]}x{source_size[1]}@{FPS}", source_size)]
        else:
            canvases = [(name, SIZES[name]) for name in sizes or list(SIZES)]
        tone = make_tone(work / "tone.wav")
        for n, (name, (width, height)) in enumerate(canvases):
            clip = source if source is not None else make_clip(work / f"testsrc2-{name}.y4m", width, height)
            if n == 0:  # warm-up, untimed: every module's bytecode compiled once, as installed
                progress("warming up")
                for tree in [Path(__file__).resolve().parents[2]] + ([baseline_tree] if baseline_tree else []):
                    for overlays in [None] + ([make_overlay_pngs(work, width, height)] if with_scene else []):
                        timed_wait4(studio_cmd(clip, tone, f"{ingest.url}/warmup", width, height, 0.5, overlays),
                                    tree_env(tree))
            cases.append(run_case(name, clip, tone, ingest.url, width, height, seconds, pairs, None, baseline_tree,
                                  progress, source_size))
            if with_scene:
                overlays = make_overlay_pngs(work, width, height)
                cases.append(run_case(f"{name} demo scene", clip, tone, ingest.url, width, height, seconds, pairs,
                                      overlays, baseline_tree, progress, source_size))
        result["cases"] = [c.to_dict() for c in cases]
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        return result
    finally:
        ingest.stop()
        shutil.rmtree(work, ignore_errors=True)
        if _PYCACHE is not None:
            shutil.rmtree(_PYCACHE, ignore_errors=True)
            _PYCACHE = None


def probe_size(path: Path) -> tuple[int, int]:
    import av

    from seller_studio.common.errors import BadMediaFileError

    try:
        with av.open(str(path)) as container:
            ctx = container.streams.video[0].codec_context
            return ctx.width, ctx.height
    except (av.FFmpegError, IndexError, OSError) as exc:
        raise BadMediaFileError(tr_noop("cannot play video file {path}: {error}").format(path=path, error=exc)) from None


def format_table(result: dict) -> list[str]:
    lines = [f"End to end on {result['source']}: whole process, {result['seconds']:.0f} s per run, median of "
             f"{result['pairs']} alternating pairs (load average {result['load_average']} -> "
             f"{result.get('load_average_after')}):"]
    has_baseline = any(c["baseline"] for c in result["cases"])
    head = f"  {'case':<24} {'studio CPU s':>12} {'ffmpeg CPU s':>12} {'ratio':>6}"
    if has_baseline:
        head += f" {'baseline ratio':>15}"
    lines.append(head + f" {'studio peak RSS':>16} {'dropped':>8}")
    for c in result["cases"]:
        row = f"  {c['case']:<24} {c['studio_cpu_s']:>12.2f} {c['ffmpeg_cpu_s']:>12.2f} {c['ratio']:>6.2f}"
        if has_baseline:
            row += f" {c['baseline_ratio']:>15.2f}" if c["baseline_ratio"] is not None else f" {'-':>15}"
        dropped = [r["dropped"] for r in c["studio"] if r["dropped"] is not None]
        lines.append(row + f" {c['studio_rss_mb']:>13.0f} MB {max(dropped) if dropped else '-':>8}")
    firsts = [r["first_frame_s"] for c in result["cases"] for r in c["studio"] if r["first_frame_s"] is not None]
    if firsts:
        lines.append(f"  first frame pushed after process start: median {statistics.median(firsts):.2f} s")
    lines.append(f"  seller-studio --version: {result['version_cpu_s']:.2f} s CPU"
                 + (f" (baseline {result['baseline_version_cpu_s']:.2f} s)" if "baseline_version_cpu_s" in result else ""))
    return lines


def compositor_ms_per_frame(width: int, height: int, frames: int = 90) -> dict[str, dict[int, float]]:
    """CPU per composed frame (median, ms) of the demo scene with 0, 1 and 3 overlays (picture-in-picture;
    + title and product card), a new camera picture each tick as from a live camera: on the I420
    planes (a YUV camera) and, for comparison, in RGB (an RGB camera, plus the RGB->I420 conversion
    the encoder then needs)."""
    import time

    import cv2
    import numpy as np

    from seller_studio.media.compositor import Compositor, Layer, Rect, Scene
    from seller_studio.media.frames import VideoFrame
    from seller_studio.media.sources.base import VideoSource

    class Camera(VideoSource):
        kind = "bench-camera"

        def __init__(self, source_id: str, make) -> None:  # noqa: ANN001
            super().__init__(source_id)
            self.make = make

        def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
            return self.make(frame_index)

    class Still(VideoSource):
        kind = "bench-still"

        def __init__(self, source_id: str, frame: VideoFrame) -> None:
            super().__init__(source_id)
            self.frame = frame

        def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
            return self.frame

    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.dstack([xx * 255 // width, yy * 255 // height, (xx + yy) // 4 % 256]).astype(np.uint8)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    work = Path(tempfile.mkdtemp(prefix="bench-comp-"))
    try:
        title_png, (tx, ty), card_png, (cx, cy) = make_overlay_pngs(work, width, height)
        title = cv2.cvtColor(cv2.imread(str(title_png), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
        card = cv2.cvtColor(cv2.imread(str(card_png), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    inset_w, inset_h, margin = width // 4, height // 4, max(8, width // 64)
    layers = [Layer("camera2", Rect(width - inset_w - margin, height - inset_h - margin, inset_w, inset_h), z=1),
              Layer("title", Rect(tx, ty, title.shape[1], title.shape[0]), z=2),
              Layer("card", Rect(cx, cy, card.shape[1], card.shape[0]), z=3)]
    result: dict[str, dict[int, float]] = {}
    pictures = {"i420": [yuv.copy(), yuv.copy()], "rgb": [rgb.copy(), rgb.copy()]}
    for path in ("i420", "rgb"):
        def make(i: int, path: str = path) -> VideoFrame:  # a different picture each tick, as from a camera
            data = pictures[path][i % 2]
            return VideoFrame.from_i420(data, width, height, 0.0, i) if path == "i420" else VideoFrame(data, 0.0, i)

        result[path] = {}
        for n in (0, 1, 3):
            comp = Compositor(width, height, FPS)
            for source in (Camera("camera", make), Camera("camera2", make), Still("title", VideoFrame(title, 0.0)),
                           Still("card", VideoFrame(card, 0.0))):
                comp.sources[source.id] = source
            comp.add_scene(Scene("demo", [Layer("camera"), *layers[:n]]))
            times = []
            for i in range(frames):
                started = time.thread_time()
                picture = comp.render_picture(i, 0.0)
                if not picture.is_yuv:
                    cv2.cvtColor(picture.image, cv2.COLOR_RGB2YUV_I420)  # what the encoder then does
                times.append(time.thread_time() - started)
            result[path][n] = round(1000 * statistics.median(times), 3)
    return result
