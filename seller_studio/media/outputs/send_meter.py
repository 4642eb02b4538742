"""What a network output sent, and the StreamStats both network outputs (RTMP/SRT and WHIP) report.

The output thread records each packet it sent; the encoder thread (dynamic bitrate) and the stats
thread read the rate at the same time, so every access to the window holds one lock (issue 20: the
window was once iterated while appended to, and the encoder thread died of it).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from seller_studio.media.stats import StreamStats


class SendMeter:
    """Totals and a recent window of (time, bytes) sent; written by one thread, read by any."""

    def __init__(self, history_s: float) -> None:
        self.history_s = history_s
        self.bytes_sent = 0
        self.packets_sent = 0
        self._window: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def record(self, now: float, size: int) -> None:
        with self._lock:
            self.bytes_sent += size
            self.packets_sent += 1
            self._window.append((now, size))
            while now - self._window[0][0] > self.history_s:
                self._window.popleft()

    def rate_kbps(self, window_s: float = 1.0) -> float:
        """What went out over the last ``window_s``."""
        now = time.monotonic()
        with self._lock:
            sent = sum(n for t, n in self._window if now - t <= window_s)
        return sent * 8 / 1000 / window_s


class MetersSending:
    """The sending half of a network output: its ``_sent`` meter, as the outputs' public figures."""

    _sent: SendMeter

    def _record_sent(self, now: float, size: int) -> None:
        """Output thread: one packet went out."""
        self._sent.record(now, size)

    @property
    def bytes_sent(self) -> int:
        return self._sent.bytes_sent

    @property
    def packets_sent(self) -> int:
        return self._sent.packets_sent

    def send_rate_kbps(self, window_s: float = 1.0) -> float:
        """What went out over the last ``window_s`` (any thread)."""
        return self._sent.rate_kbps(window_s)


def network_stream_stats(output: Any, link_kbps: float | None) -> StreamStats:
    """The stats row of a network output (StreamOutput, WhipOutput): the same fields, read once each."""
    retry_at = output.next_retry_at  # one read: the output thread may clear it meanwhile
    dropped = output.buffer.dropped_counts()
    rate = output.rate
    return StreamStats(
        output.name, output.kind, output.state.value,
        url=output.display_url,
        send_buffer_ms=round(output.buffer.buffered_ms(), 1),
        bitrate_sent_kbps=round(output.send_rate_kbps(), 1),
        encoder_bitrate_kbps=output.current_bitrate_kbps,
        is_dynamic_bitrate=rate is not None,
        rate_plan=rate.plan if rate is not None else None,  # immutable: replaced, never changed
        link_kbps=round(link_kbps) if link_kbps else None,
        dropped_network=dropped["congestion"],
        dropped_disconnect=dropped["disconnect"],
        reconnects=output.reconnect_count,
        thread_crashes=output.crashes_total,
        attempt=output.attempt,
        retry_in_s=round(max(0.0, retry_at - time.monotonic()), 1) if retry_at else None,
        bytes_sent=output.bytes_sent,
        error=output.error,
        stop_reason=output.stop_reason.value,
    )
