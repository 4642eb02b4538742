"""Run inside a private network namespace (``unshare -n``): the studio streams over WHIP to the
sandbox's WHIP ingest on loopback, and from 2 s on the link towards the ingest (UDP to its port)
is capped by `tc` (an HTB class, a 50-packet queue; the return path with the ingest's reports is
not capped). Prints one JSON line per second and a summary: what the studio sent and planned, what
the ingest decoded.

Usage: whip_shaped_link.py CAP_KBPS BITRATE_KBPS SECONDS
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seller_studio.media import framecode  # noqa: E402
from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.whip import WhipOutput  # noqa: E402
from seller_studio.media.studio import pattern_studio  # noqa: E402
from seller_studio.platform.sandbox.whip_ingest import WhipIngest  # noqa: E402


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def main() -> None:
    cap_kbps, bitrate_kbps, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sh("ip", "link", "set", "lo", "up")
    decoded: list[tuple[float, int]] = []

    def on_video(frame) -> None:
        code = framecode.read(frame.to_ndarray(format="gray"))
        if code is not None:
            decoded.append((time.monotonic(), code.frame_number))

    ingest = WhipIngest(lambda name, payload: None, stream_key="k", on_video_frame=on_video).start()
    studio = pattern_studio(640, 360, 30)
    output = WhipOutput(ingest.url, "k")
    session = studio.go_live([output], VideoSettings(640, 360, 30, bitrate_kbps), AudioSettings())
    rows = []
    try:
        time.sleep(2)
        ports = {c.port for s in ingest._sessions.values() for t in s.pc.getTransceivers()
                 for c in t.receiver.transport.transport.iceGatherer.getLocalCandidates()}
        sh("tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000")
        sh("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit")
        sh("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:30", "htb", "rate", f"{cap_kbps}kbit",
           "ceil", f"{cap_kbps}kbit", "burst", "16kb")
        sh("tc", "qdisc", "add", "dev", "lo", "parent", "1:30", "handle", "30:", "pfifo", "limit", "50")
        for port in ports:
            sh("tc", "filter", "add", "dev", "lo", "protocol", "ip", "parent", "1:", "prio", "1", "u32",
               "match", "ip", "dport", str(port), "0xffff", "flowid", "1:30")
        for i in range(seconds):
            time.sleep(1)
            stats = output.stats()
            plan = session._rate_plan
            rows.append({"t": i + 1, "sent_kbps": stats.bitrate_sent_kbps, "buffer_ms": stats.send_buffer_ms,
                         "dropped": stats.dropped_network, "pace_kbps": stats.link_kbps,
                         "loss_percent": output.peer_loss_percent,
                         "plan_video_kbps": plan.video_kbps if plan is not None else None,
                         "decoded": len(decoded)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        studio.stop()
        ingest.stop()
    now = time.monotonic()
    last = [n for t, n in decoded if t > now - 5.5]
    print(json.dumps({"rows": rows, "decoded_last_5s": len(last),
                      "increasing": all(b > a for a, b in zip(last, last[1:], strict=False)),
                      "lowest_plan_kbps": min((r["plan_video_kbps"] for r in rows if r["plan_video_kbps"]), default=None),
                      "state": output.state.value}))


if __name__ == "__main__":
    main()
