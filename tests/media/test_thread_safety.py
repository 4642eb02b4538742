"""State shared between media threads survives readers on other threads hammering it.

The bug this guards against (issue 20): the encoder thread summed the send window (now ``outputs/send_meter.py``)
while the output thread appended to it -> "deque mutated during iteration" killed the encoder
after minutes under congestion. Here the writers and readers run flat out with a tiny switch
interval so a missing lock shows up in well under a second.
"""

from __future__ import annotations

import sys
import threading
import time
from fractions import Fraction

from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.send_buffer import SendBuffer
from seller_studio.media.outputs.stream import StreamOutput


def _hammer(writers, readers, seconds: float = 1.5) -> list[BaseException]:
    errors: list[BaseException] = []
    stop = threading.Event()

    def loop(fn):
        try:
            while not stop.is_set():
                fn()
        except BaseException as exc:  # noqa: BLE001 - any death is the finding
            errors.append(exc)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=loop, args=(fn,), daemon=True) for fn in [*writers, *readers]]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join(5)
    finally:
        sys.setswitchinterval(previous)
    return errors


def test_send_rate_and_stats_readers_race_the_output_thread_without_dying():
    out = StreamOutput("rtmp://127.0.0.1:1/live")
    out.rate_history_s = 30.0  # a long window: many entries to iterate while the writer appends
    size = iter(range(10**9))
    errors = _hammer([lambda: out._record_sent(time.monotonic(), next(size) % 1500 + 1)],
                     [lambda: out.send_rate_kbps(2.0), out.stats, lambda: out.send_rate_kbps(1.0)])
    assert errors == [], errors
    assert out.packets_sent > 1000 and out.send_rate_kbps(30.0) > 0


def test_send_buffer_counters_are_consistent_under_concurrent_pushes_and_disconnect_drops():
    buf = SendBuffer()
    n = {"v": 0}

    def push():
        n["v"] += 1
        buf.push(EncodedPacket("video", b"x" * 100, n["v"], n["v"], Fraction(1, 30), n["v"] % 60 == 0, True))

    popped = {"n": 0}

    def pop():
        popped["n"] += buf.pop(0.001) is not None

    packet = EncodedPacket("video", b"x", 0, 0, Fraction(1, 30), False, True)
    disconnect_drops = {"n": 0}

    def drop():
        buf.drop_while_disconnected(packet)
        disconnect_drops["n"] += 1

    errors = _hammer([push, drop], [pop, buf.buffered_ms, buf.dropped_counts, lambda: len(buf)])
    assert errors == [], errors
    counts = buf.dropped_counts()
    # Every video packet is accounted for exactly once: sent, still queued, or counted as dropped
    # (a lost increment under a missing lock breaks the sum).
    assert n["v"] + disconnect_drops["n"] == popped["n"] + len(buf) + counts["congestion"] + counts["disconnect"]
    assert counts["disconnect"] >= disconnect_drops["n"]
