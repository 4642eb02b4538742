"""Run inside a private network namespace (``unshare -n``): a congested stream with stats read at
high frequency from other threads and ``sys.setswitchinterval(1e-6)``, looking for a thread death.

argv: SECONDS. The uplink (tc tbf on the namespace's loopback, TCP send buffer capped at 64 KB)
alternates every 4 s between 500 kbit/s and free, so the send buffer, the drop policy, dynamic
bitrate and the ladder all run, while four reader threads hammer every stats path. Prints one JSON
line: duration, thread deaths (uncaught exceptions anywhere + supervised crashes + media threads
found dead), frames encoded, reads made.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seller_studio.media.encoders.base import AudioSettings, VideoSettings  # noqa: E402
from seller_studio.media.outputs.recording import RecordingOutput  # noqa: E402
from seller_studio.media.outputs.stream import StreamOutput  # noqa: E402
from seller_studio.media.studio import pattern_studio  # noqa: E402
from tests.helpers import Nginx  # noqa: E402


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def main() -> None:
    seconds = float(sys.argv[1])
    sh("ip", "link", "set", "lo", "mtu", "1500", "up")
    Path("/proc/sys/net/ipv4/tcp_wmem").write_text("4096 16384 65536")
    uncaught: list[str] = []
    threading.excepthook = lambda args: uncaught.append(f"{args.thread.name if args.thread else '?'}: "
                                                        f"{args.exc_type.__name__}: {args.exc_value}")
    work = Path(tempfile.mkdtemp())
    server = Nginx(work).start()
    studio = pattern_studio(480, 270, 30)
    stream = StreamOutput(server.url, "stress-key")
    stream.raise_interval_s = 1.0
    recording = RecordingOutput(work / "show.mkv")
    changes = [0]
    stream.events.subscribe(lambda n, p: changes.__setitem__(0, changes[0] + 1) if n == "bitrate_changed" else None)
    session = studio.go_live([stream, recording], VideoSettings(480, 270, 30, 1500), AudioSettings())
    stop = threading.Event()
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            stream.stats()
            stream.send_rate_kbps(2.0)
            stream.buffer.buffered_ms()
            recording.stats()
            studio.mixer.levels()
            studio.preview()
            session.crashes()
            dict(session.last_stats)
            reads[0] += 1

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    readers = [threading.Thread(target=reader, name=f"reader-{i}", daemon=True) for i in range(4)]
    for t in readers:
        t.start()
    started = time.monotonic()
    capped = False
    congested_s = 0.0
    try:
        while time.monotonic() - started < seconds:
            phase_started = time.monotonic()
            if capped:
                sh("tc", "qdisc", "del", "dev", "lo", "root")
            else:
                sh("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "500kbit", "burst", "16kb",
                   "latency", "100ms")
            capped = not capped
            time.sleep(min(4.0, max(0.0, seconds - (time.monotonic() - started))))
            if capped:
                congested_s += time.monotonic() - phase_started
        duration_s = time.monotonic() - started
        threads = {t.name: t.is_alive() for t in threading.enumerate()}
        media_threads = ["encoder", "stats", "compositor", "output-stream", "output-recording"]
        dead = [name for name in media_threads if not threads.get(name)]
        frames = session.frames_encoded
    finally:
        stop.set()
        sys.setswitchinterval(previous)
        for t in readers:
            t.join(5)
        studio.stop()
        server.stop()
    crashes = session.crashes()
    print(json.dumps({
        "duration_s": round(duration_s, 1), "congested_s": round(congested_s, 1),
        "thread_deaths": len(uncaught) + len(crashes) + len(dead),
        "uncaught": uncaught, "supervised_crashes": crashes, "dead_threads": dead,
        "frames_encoded": frames, "stats_reads": reads[0],
        "dropped_congestion": stream.buffer.dropped_counts()["congestion"],
        "bitrate_changes": changes[0], "reconnects": stream.reconnect_count,
        "recording_packets": recording.packets_written,
    }))


if __name__ == "__main__":
    main()
