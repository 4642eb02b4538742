"""Plays an RTMP stream back and reads the test pattern's frame codes: prints latencies as JSON.

Runs in its own process so decoding does not compete with the studio for Python's GIL.
Usage: python -m seller_studio.diagnostics.latency_probe rtmp://host/app/key SECONDS
"""

from __future__ import annotations

import json
import sys
import time

import av

from seller_studio.media import framecode


def main() -> None:
    url, seconds = sys.argv[1], float(sys.argv[2])
    container = av.open(url, options={"fflags": "nobuffer", "flags": "low_delay"}, timeout=10)
    stream = container.streams.video[0]
    stream.thread_type = "SLICE"  # frame threads would add frames of decoder delay to every sample
    latencies, codes = [], []
    deadline = time.monotonic() + seconds
    warmup_until = time.monotonic() + 1.0  # the first second includes the player's start-up burst
    for frame in container.decode(stream):
        now_ms = framecode.wall_ms_now()
        code = framecode.read(frame.to_ndarray(format="gray"))
        if code is not None:
            codes.append(code.frame_number)
            if time.monotonic() > warmup_until:
                latencies.append(framecode.latency_ms(code, now_ms))
        if time.monotonic() > deadline:
            break
    container.close()
    missing = (max(codes) - min(codes) + 1 - len(set(codes))) if codes else None
    print(json.dumps({"latencies_ms": latencies, "missing": missing}))


if __name__ == "__main__":
    main()
