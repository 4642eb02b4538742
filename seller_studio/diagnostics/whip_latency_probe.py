"""A WHIP peer in its own process that reads the test pattern's frame codes: prints latencies as JSON.

The WHIP counterpart of latency_probe.py: the sandbox's aiortc WHIP ingest listens on PORT with
KEY, prints one "ready" line, and for SECONDS after the first decoded frame compares each frame
code's capture time with the time the frame came out of the peer's decoder. Its own process, so
decoding does not compete with the studio for Python's GIL.
SIGTERM ends it early with what it saw.
Usage: python -m seller_studio.diagnostics.whip_latency_probe PORT KEY SECONDS
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

from seller_studio.media import framecode
from seller_studio.platform.sandbox.whip_ingest import WhipIngest


def main() -> None:
    port, key, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    latencies: list[int] = []
    codes: list[int] = []
    first_at: list[float] = []
    done = threading.Event()

    def on_video(frame) -> None:
        now_ms = framecode.wall_ms_now()
        now = time.monotonic()
        if not first_at:
            first_at.append(now)
        code = framecode.read(frame.to_ndarray(format="gray"))
        if code is None:
            return
        codes.append(code.frame_number)
        if now > first_at[0] + 1.0:  # the first second includes the connection's start-up
            latencies.append(framecode.latency_ms(code, now_ms))
        if now > first_at[0] + 1.0 + seconds:
            done.set()

    signal.signal(signal.SIGTERM, lambda _signum, _frame: done.set())  # end early: report what was seen
    ingest = WhipIngest(lambda name, payload: None, port=port, stream_key=key, on_video_frame=on_video).start()
    print("ready", flush=True)
    done.wait(seconds + 60)
    audio_frames = ingest.audio_frames
    ingest.stop()
    missing = (max(codes) - min(codes) + 1 - len(set(codes))) if codes else None
    print(json.dumps({"latencies_ms": latencies, "missing": missing, "audio_frames": audio_frames}), flush=True)


if __name__ == "__main__":
    main()
