"""Run inside a private network namespace (``unshare -n``): one encode to two nginx ingests, the
link to one of them shaped by `tc` (an HTB class capped at the rate takes, by a u32 filter, only
the packets to that ingest's port; everything else goes through an unlimited class). Prints one JSON line with what each destination and the shared
encode did.

As in throttled_uplink.py the namespace's TCP send buffer is capped at 64 KB, so the backlog builds
in the studio's own send buffer, as behind a real slow uplink.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.stream import StreamOutput  # noqa: E402
from seller_studio.media.studio import pattern_studio  # noqa: E402
from tests.helpers import Nginx  # noqa: E402


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0


def main() -> None:
    sh("ip", "link", "set", "lo", "mtu", "1500", "up")
    Path("/proc/sys/net/ipv4/tcp_wmem").write_text("4096 16384 65536")
    cap_kbps, bitrate_kbps = int(sys.argv[1]), int(sys.argv[2])
    work = Path(tempfile.mkdtemp())
    fast_server, shaped_server = Nginx(work / "fast").start(), Nginx(work / "shaped").start()
    studio = pattern_studio(640, 360, 30)
    fast = StreamOutput(fast_server.url, "fast-key", name="fast")
    shaped = StreamOutput(shaped_server.url, "shaped-key", name="shaped")
    session = studio.go_live([fast, shaped], VideoSettings(640, 360, 30, bitrate_kbps), AudioSettings())
    fast_kbps: list[float] = []
    shaped_kbps: list[float] = []
    encoder_kbps: set[int] = set()
    try:
        time.sleep(2)
        sh("tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000")
        sh("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit")
        sh("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:30", "htb", "rate", f"{cap_kbps}kbit",
           "ceil", f"{cap_kbps}kbit", "burst", "16kb")
        sh("tc", "filter", "add", "dev", "lo", "protocol", "ip", "parent", "1:", "prio", "1", "u32",
           "match", "ip", "dport", str(shaped_server.port), "0xffff", "flowid", "1:30")
        for i in range(100):  # 10 s under the cap
            time.sleep(0.1)
            plan = session._rate_plan
            encoder_kbps.add(plan.video_kbps if plan is not None else bitrate_kbps)
            if i >= 40 and i % 10 == 0:  # from 4 s on, once a second
                fast_kbps.append(fast.send_rate_kbps(1.0))
                shaped_kbps.append(shaped.send_rate_kbps(1.0))
        result = {
            "encoder_kbps": sorted(encoder_kbps),
            "fast_median_kbps": round(median(fast_kbps)),
            "shaped_median_kbps": round(median(shaped_kbps)),
            "fast_dropped": sum(fast.buffer.dropped_counts().values()),
            "fast_reconnects": fast.reconnect_count,
            "shaped_dropped": shaped.buffer.dropped_counts()["congestion"],
            "shaped_own_plan_kbps": shaped.current_bitrate_kbps,
            "shaped_state": shaped.state.value,
            "frames_skipped_ladder": session.frames_skipped_ladder,
            "encode_lag": session.frames_dropped_encode_lag,
        }
    finally:
        studio.stop()
        fast_server.stop()
        shaped_server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
