"""`seller-studio bench`: CPU per frame against ffmpeg, latency, what this machine sustains."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from seller_studio.diagnostics.bench import latency_comparison, run_bench


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure this machine: CPU per frame vs ffmpeg, latency, recommended settings")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quick", action="store_true", help="fewer frames, one round (what first-run setup uses)")
    p.add_argument("--no-latency", action="store_true", help="skip the latency run (it needs nginx-rtmp)")
    p.add_argument("--latency-only", action="store_true",
                   help="only latency: RTMP (nginx-rtmp) and WHIP (a WebRTC peer) from one encode at once, p50/p95 each")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each latency run (default 15)")
    p.add_argument("--source", metavar="FILE", type=Path,
                   help="end to end on this video file: the studio streaming it as the camera vs the ffmpeg "
                        "command line, whole process, alternating runs (plus the demo scene with overlays)")
    p.add_argument("--end-to-end", action="store_true",
                   help="the end-to-end comparison on a generated testsrc2 clip (y4m) at 720p30 and 1080p30")
    p.add_argument("--run-seconds", type=float, default=60.0, metavar="S",
                   help="length of each end-to-end run (default 60)")
    p.add_argument("--pairs", type=int, default=3, help="alternating studio/ffmpeg pairs per case (default 3)")
    p.add_argument("--sizes", metavar="LIST",
                   help="end-to-end canvases, from 720p30,1080p30 (default: both; with --source its own size)")
    p.add_argument("--no-scene", action="store_true", help="end to end without the demo scene with overlays")
    p.add_argument("--baseline-tree", metavar="DIR", type=Path,
                   help="also time the studio from this source tree (an older checkout) in the same alternation")
    p.set_defaults(func=run)


def _print_latency(label: str, lat: dict) -> None:
    if "error" in lat:
        print(f"{label}: not measured: {lat['error']}")
        return
    extra = f", connected in {lat['setup_ms']} ms" if "setup_ms" in lat else ""
    print(f"{label}: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
          f"p99 {lat['p99_ms']} ms over {lat['frames']} frames, {lat['missing_frames']} missing{extra}")


def run(args: argparse.Namespace) -> int:
    progress = (lambda message: None) if args.json else (lambda message: print(f"  {message}", file=sys.stderr))
    if args.source is not None or args.end_to_end:
        return run_end_to_end(args, progress)
    if args.latency_only:
        latencies = latency_comparison(args.seconds, progress)
        if args.json:
            print(json.dumps(latencies, indent=2))
            return 0
        print(f"Machine: {latencies['cores']} cores; {latencies['size']}@{latencies['fps']}, 2500 kbps H.264 baseline, "
              f"one encode to both at the same time, {latencies['seconds']:.0f} s")
        _print_latency("Capture -> RTMP (nginx-rtmp) -> player", latencies["latency"])
        _print_latency("Capture -> WHIP -> decoded at the WebRTC peer", latencies["whip_latency"])
        if "whip_output_cpu_percent_of_one_core" in latencies:
            print(f"The WHIP output's thread (Opus, RTP, SRTP, ICE): "
                  f"{latencies['whip_output_cpu_percent_of_one_core']} % of one core")
        return 0
    result = run_bench(quick=args.quick, with_latency=not args.no_latency, progress=progress)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Machine: {result['cores']} cores")
    print("CPU per frame, studio pipeline vs ffmpeg command line on the same raw frames:")
    for row in result["cpu"]:
        print(f"  {row['size']}@{row['fps']}: studio {row['studio_cpu_ms_per_frame']:.2f} ms, "
              f"ffmpeg {row['ffmpeg_cpu_ms_per_frame']:.2f} ms, ratio {row['ratio']:.2f} "
              f"(median of {row['rounds']} x {row['frames']} frames)")
    if result.get("latency"):
        _print_latency("Capture -> ingest -> player latency", result["latency"])
    if result.get("whip_latency"):
        _print_latency("Capture -> WHIP -> decoded at the WebRTC peer", result["whip_latency"])
    print("Sustainable with 20% headroom (estimated from the CPU per frame):")
    for v in result["sustainable"]:
        print(f"  {v['size']}@{v['fps']}: {100 * v['cpu_load']:.0f}% of the CPU {'ok' if v['fits'] else 'too much'}")
    top = result["highest_sustainable"]
    print(f"Highest this machine sustains: {top['size']}@{top['fps']}")
    rec = result["recommended"]
    print(f"Recommended: {rec['width']}x{rec['height']}@{rec['fps']}, {rec['bitrate_kbps']} kbps, "
          f"{rec['encoder']} {rec['preset']} (at most 1280x720@30: the upload, not the CPU, usually limits)")
    return 0


def run_end_to_end(args: argparse.Namespace, progress) -> int:  # noqa: ANN001 - the progress printer
    from seller_studio.common.errors import BadMediaFileError, ExitCode, UserError
    from seller_studio.diagnostics import bench_e2e
    from seller_studio.i18n import tr_noop

    if args.source is not None and not args.source.is_file():
        raise BadMediaFileError(tr_noop("cannot play video file {path}: no such file").format(path=args.source))
    sizes = [s.strip() for s in args.sizes.split(",")] if args.sizes else None
    for size in sizes or []:
        if size not in bench_e2e.SIZES:
            raise UserError(tr_noop("--sizes: unknown canvas '{size}' (choose from {sizes})").format(
                size=size, sizes=", ".join(bench_e2e.SIZES)),
                            ExitCode.USAGE)
    if args.pairs < 1 or args.run_seconds <= 0:
        raise UserError(tr_noop("--pairs and --run-seconds must be positive"), ExitCode.USAGE)
    try:
        result = bench_e2e.run_e2e(args.source, args.run_seconds, args.pairs, sizes, not args.no_scene,
                                   args.baseline_tree, progress)
    except RuntimeError as exc:  # no nginx-rtmp, a run that failed
        raise UserError(tr_noop("end-to-end bench: {error}").format(error=exc), ExitCode.FAILURE) from None
    result["compositor_ms_per_frame"] = {
        name: bench_e2e.compositor_ms_per_frame(*bench_e2e.SIZES[name]) for name in sizes or list(bench_e2e.SIZES)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Machine: {result['cores']} cores")
    for line in bench_e2e.format_table(result):
        print(line)
    print("Compositor CPU per frame (median ms; demo scene: 1 = picture-in-picture, 3 = + title + product card):")
    for name, paths in result["compositor_ms_per_frame"].items():
        for path, by_count in paths.items():
            label = "I420 planes (YUV camera)" if path == "i420" else "RGB + RGB->I420 (before)"
            print(f"  {name} {label:<26} " + ", ".join(f"{n} overlays {ms:.2f}" for n, ms in by_count.items()))
    return 0
