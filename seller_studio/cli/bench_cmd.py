"""`seller-studio bench`: CPU per frame against ffmpeg, latency, what this machine sustains."""

from __future__ import annotations

import argparse
import json
import sys

from seller_studio.diagnostics.bench import latency_comparison, run_bench


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure this machine: CPU per frame vs ffmpeg, latency, recommended settings")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quick", action="store_true", help="fewer frames, one round (what first-run setup uses)")
    p.add_argument("--no-latency", action="store_true", help="skip the latency run (it needs nginx-rtmp)")
    p.add_argument("--latency-only", action="store_true",
                   help="only latency: RTMP (nginx-rtmp) and WHIP (a WebRTC peer) from one encode at once, p50/p95 each")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each latency run (default 15)")
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
