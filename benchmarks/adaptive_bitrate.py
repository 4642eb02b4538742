"""Adaptive bitrate on a slow uplink: does a 2500 kbps stream fit the link, and come back?

    .venv/bin/python benchmarks/adaptive_bitrate.py                 # tc, 800 and 400 kbit/s (root)
    .venv/bin/python benchmarks/adaptive_bitrate.py --link simulate # --simulate slow-uplink pacing
    .venv/bin/python benchmarks/adaptive_bitrate.py --rates 800 --cap-s 40 --json

A 1280x720@30 test pattern with tone, 2500 kbps setting, to nginx-rtmp. The uplink is capped at
``--cap-at-s`` (3 s) and freed at ``--cap-s`` (40 s). With ``--link tc`` the cap is `tc tbf` on the
loopback of a private network namespace (`unshare -n`, TCP send buffer capped at 64 KB, MTU 1500),
so the real TCP/FLV/RTMP overhead counts; with ``--link simulate`` the stream output paces its own
sending (what `--simulate slow-uplink` does).

Prints per rate: network drops after the first 10 s (goal: < 2 % at 800 kbps, < 5 % at 400 kbps),
the plan the studio settled on (video, audio, frame step, measured uplink), the frames actually
sent per second, and how long after the cap lifted the 2500 kbps came back (goal: < 30 s).
Frames the plan leaves out on purpose (fps steps) are counted apart from drops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_one(rate_kbps: float, link: str, cap_at_s: float, cap_s: float, recover_s: float,
            bitrate_kbps: int, size: tuple[int, int]) -> dict:
    from seller_studio.diagnostics.rtmp_server import RtmpServer
    from seller_studio.media.encoders.base import AudioSettings, VideoSettings
    from seller_studio.media.outputs.stream import StreamOutput
    from seller_studio.media.studio import pattern_studio

    def sh(*cmd: str) -> None:
        subprocess.run(cmd, check=True)

    if link == "tc":
        sh("ip", "link", "set", "lo", "mtu", "1500", "up")
        Path("/proc/sys/net/ipv4/tcp_wmem").write_text("4096 16384 65536")
    work = Path(tempfile.mkdtemp())
    server = RtmpServer(work).start()
    studio = pattern_studio(*size, 30)
    stream = StreamOutput(server.url, "bench-key")
    changes: list[tuple[float, dict]] = []
    t0 = time.monotonic()
    stream.events.subscribe(lambda n, p: changes.append((time.monotonic() - t0, p)) if n == "bitrate_changed" else None)
    session = studio.go_live([stream], VideoSettings(*size, 30, bitrate_kbps), AudioSettings())
    t0 = time.monotonic()
    samples: list[dict] = []
    capped = False
    freed_at = None
    try:
        while True:
            t = time.monotonic() - t0
            if not capped and t >= cap_at_s:
                capped = True
                if link == "tc":
                    sh("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", f"{rate_kbps:g}kbit",
                       "burst", "16kb", "latency", "100ms")
                else:
                    stream.simulated_uplink_kbps = rate_kbps
            if capped and freed_at is None and t >= cap_s:
                freed_at = t
                if link == "tc":
                    sh("tc", "qdisc", "del", "dev", "lo", "root")
                else:
                    stream.simulated_uplink_kbps = None
            dropped = stream.buffer.dropped_counts()
            samples.append({"t": t, "congestion": dropped["congestion"], "encoded": session.frames_encoded,
                            "skipped": session.frames_skipped_ladder, "bytes": stream.bytes_sent,
                            "video_kbps": stream.current_bitrate_kbps, "buffer_ms": stream.buffer.buffered_ms(),
                            "plan": stream.rate.plan.to_dict() if stream.rate else None,
                            "health": (session.last_stats.get("health") or {}).get("reason")})
            if freed_at is not None and (stream.current_bitrate_kbps >= bitrate_kbps and
                                         stream.rate is not None and not stream.rate.is_limited
                                         or t - freed_at > recover_s):
                break
            time.sleep(0.25)
    finally:
        studio.stop()
        server.stop()
        if link == "tc" and freed_at is None:
            subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)

    def at(t: float) -> dict:
        return min(samples, key=lambda s: abs(s["t"] - t))

    start, end = at(10.0), at(cap_s - 0.25)
    dropped = end["congestion"] - start["congestion"]
    encoded = end["encoded"] - start["encoded"]
    skipped = end["skipped"] - start["skipped"]
    window_s = end["t"] - start["t"]
    back = next((s["t"] for s in samples if freed_at is not None and s["t"] >= freed_at
                 and s["plan"] is not None and s["video_kbps"] >= bitrate_kbps), None)
    under_cap = [s for s in samples if 10 <= s["t"] <= cap_s]
    return {
        "link": link, "rate_kbps": rate_kbps, "setting_kbps": bitrate_kbps, "size": f"{size[0]}x{size[1]}",
        "window_s": round(window_s, 1), "frames_encoded": encoded, "dropped": dropped,
        "dropped_pct": round(100 * dropped / max(1, encoded), 2),
        "fps_sent": round((encoded - dropped) / max(window_s, 1e-6), 1), "frames_left_out_by_plan": skipped,
        "sent_kbps": round((end["bytes"] - start["bytes"]) * 8 / 1000 / max(window_s, 1e-6)),
        "plan_at_end_of_cap": end["plan"], "peak_buffer_ms_after_10s": round(max(s["buffer_ms"] for s in under_cap)),
        "health_under_cap": end["health"],
        "recovered_after_s": None if back is None or freed_at is None else round(back - freed_at, 1),
        "changes": len(changes),
        "trace": [(round(t, 1), p.get("bitrate_kbps"), p.get("audio_kbps"), p.get("fps_divisor"), p.get("reason"))
                  for t, p in changes],
        "drops_by_second": [(round(s["t"]), s["congestion"], round(s["buffer_ms"])) for s in samples[::4]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--link", choices=("tc", "simulate"), default="tc")
    parser.add_argument("--rates", default="800,400", help="uplink caps in kbps, comma-separated")
    parser.add_argument("--bitrate", type=int, default=2500)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--cap-at-s", type=float, default=3.0)
    parser.add_argument("--cap-s", type=float, default=40.0, help="when the cap is lifted")
    parser.add_argument("--recover-s", type=float, default=45.0, help="how long to wait for the recovery")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trace", action="store_true", help="print every plan change and the drops per second")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.link == "tc" and not args.inner:
        if os.geteuid() != 0:
            sys.exit("--link tc needs root (unshare -n, tc); use --link simulate")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(["unshare", "-n", sys.executable, __file__, "--inner", *sys.argv[1:]], env=env)
        sys.exit(proc.returncode)
    width, height = (int(v) for v in args.size.split("x"))
    results = []
    for rate in (float(r) for r in args.rates.split(",")):
        r = run_one(rate, args.link, args.cap_at_s, args.cap_s, args.recover_s, args.bitrate, (width, height))
        results.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            plan = r["plan_at_end_of_cap"] or {}
            print(f"{r['link']} {r['rate_kbps']:g} kbps, setting {r['setting_kbps']} kbps {r['size']}@30: "
                  f"after 10 s {r['dropped']}/{r['frames_encoded']} frames dropped ({r['dropped_pct']}%), "
                  f"{r['fps_sent']} fps sent, {r['sent_kbps']} kbps sent; plan video {plan.get('video_kbps')} kbps "
                  f"audio {plan.get('audio_kbps')} kbps every {plan.get('fps_divisor')} frame(s), uplink measured "
                  f"{plan.get('link_kbps')} kbps; peak buffer {r['peak_buffer_ms_after_10s']} ms; back to "
                  f"{r['setting_kbps']} kbps {r['recovered_after_s']} s after the cap lifted", flush=True)
            print(f"  health: {r['health_under_cap']}", flush=True)
            if args.trace:
                for change in r["trace"]:
                    print("  change", change)
                print("  (t, dropped so far, buffer ms):", r["drops_by_second"])


if __name__ == "__main__":
    main()
