"""What each extra destination costs on one canvas (issue 14; goal: < 3 % of one core each).

One encode (1280x720 at 30 fps, 2500 kbps, the test pattern and a tone) feeds N destinations, each a
local nginx-rtmp ingest, for N = 1 .. --max, in alternating rounds. Per run it measures over
--seconds (after 3 s of warm-up):

- the whole process's CPU (% of one core) — what the seller pays, but noisy on a shared machine;
- each destination's own output thread (its CPU from /proc/self/task/TID/stat: muxing FLV and
  sending) — the direct cost of one more destination;
- the encoder thread (it hands every packet to every destination).

    .venv/bin/python benchmarks/many_destinations.py [--seconds 20] [--max 4] [--rounds 2] [--size 1280x720]

Prints one line per run and a summary with medians: process CPU per N, the slope per extra
destination, and the output threads' CPU per destination.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seller_studio.diagnostics.rtmp_server import RtmpServer  # noqa: E402
from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.stream import StreamOutput  # noqa: E402
from seller_studio.media.studio import pattern_studio  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu_s(native_id: int | None) -> float:
    """CPU seconds (user + system) of one thread of this process, 0 when it is gone."""
    if native_id is None:
        return 0.0
    try:
        with open(f"/proc/self/task/{native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def thread_ids(prefix: str) -> dict[str, int | None]:
    return {t.name: t.native_id for t in threading.enumerate() if t.name.startswith(prefix)}


def one_run(servers: list[RtmpServer], n: int, seconds: float, size: tuple[int, int]) -> dict:
    width, height = size
    studio = pattern_studio(width, height, 30)
    outputs = [StreamOutput(server.url, f"bench-{i}", name=f"d{i}") for i, server in enumerate(servers[:n])]
    session = studio.go_live(outputs, VideoSettings(width, height, 30, 2500), AudioSettings())
    try:
        time.sleep(3.0)  # warm-up: connects done, x264's lookahead full
        outs, enc = thread_ids("output-"), thread_ids("encoder")
        cpu0, wall0 = time.process_time(), time.monotonic()
        out0 = {name: thread_cpu_s(tid) for name, tid in outs.items()}
        enc0 = sum(thread_cpu_s(tid) for tid in enc.values())
        frames0 = session.frames_encoded
        time.sleep(seconds)
        wall = time.monotonic() - wall0
        process_pct = 100 * (time.process_time() - cpu0) / wall
        out_pct = [100 * (thread_cpu_s(tid) - out0[name]) / wall for name, tid in outs.items()]
        enc_pct = 100 * (sum(thread_cpu_s(tid) for tid in enc.values()) - enc0) / wall
        fps = (session.frames_encoded - frames0) / wall
        dropped = sum(sum(o.buffer.dropped_counts().values()) for o in outputs)
        live = sum(o.state.value == "live" for o in outputs)
    finally:
        studio.stop()
    return {"n": n, "process_pct": process_pct, "output_thread_pct": out_pct, "encoder_pct": enc_pct,
            "fps": fps, "dropped": dropped, "live": live, "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args(argv)
    size = tuple(int(x) for x in args.size.lower().split("x"))
    work = Path(tempfile.mkdtemp(prefix="many-dest-"))
    servers = [RtmpServer(work / f"ingest{i}").start() for i in range(args.max)]
    runs: list[dict] = []
    try:
        for round_no in range(args.rounds):
            order = list(range(1, args.max + 1))
            if round_no % 2:
                order.reverse()  # alternate so a drift in the machine's load does not favour one N
            for n in order:
                r = one_run(servers, n, args.seconds, size)  # type: ignore[arg-type]
                runs.append(r)
                print(f"N={n}: process {r['process_pct']:.1f} % of a core, encoder thread {r['encoder_pct']:.1f} %, "
                      f"output threads {', '.join(f'{p:.2f}' for p in r['output_thread_pct'])} %, "
                      f"{r['fps']:.1f} fps, {r['live']}/{n} live, {r['dropped']} dropped (load {r['load']:.1f})",
                      flush=True)
    finally:
        for server in servers:
            server.stop()
    by_n = {n: [r for r in runs if r["n"] == n] for n in range(1, args.max + 1)}
    process = {n: statistics.median(r["process_pct"] for r in rs) for n, rs in by_n.items()}
    per_output = [p for r in runs for p in r["output_thread_pct"]]
    encoder = {n: statistics.median(r["encoder_pct"] for r in rs) for n, rs in by_n.items()}
    slope = (process[args.max] - process[1]) / (args.max - 1) if args.max > 1 else 0.0
    summary = {
        "process_pct": process,
        "extra_per_destination_pct": slope,
        "output_thread_pct_median": statistics.median(per_output),
        "output_thread_pct_max": max(per_output),
        "encoder_pct": encoder,
        "dropped": sum(r["dropped"] for r in runs),
    }
    print(f"\n{size[0]}x{size[1]}@30 2500 kbps, {args.rounds} rounds of {args.seconds:g} s per N (medians):")
    for n in process:
        print(f"  N={n}: process {process[n]:.1f} % of one core, encoder thread {encoder[n]:.1f} %")
    print(f"  each extra destination (process, N=1 -> N={args.max} slope): {slope:+.2f} % of one core")
    print(f"  one destination's output thread: median {summary['output_thread_pct_median']:.2f} %, "
          f"max {summary['output_thread_pct_max']:.2f} % of one core (goal: < 3 %)")
    print(f"  frames dropped on any destination: {summary['dropped']}")
    return summary


if __name__ == "__main__":
    main()
