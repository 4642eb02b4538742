"""ClockSync's two rules, checked exactly: the round-trip midpoint, and the lowest-RTT sample wins."""

from __future__ import annotations

import pytest

from seller_studio.show.selling import ClockSync

OFFSET_S = 1_790_000_000.0  # server epoch - local monotonic
EXACT = 1e-5  # seconds; floats near 1.8e9 carry about 2e-7 s of rounding


def test_offset_uses_the_round_trip_midpoint() -> None:
    sync = ClockSync(local_clock=lambda: 0.0)
    # Sent at 100 s local; the server stamps it 0.3 s later (uplink); back 0.1 s after that (downlink).
    sent, up, down = 100.0, 0.3, 0.1
    offset = sync.add_ping_sample(sent, sent + up + OFFSET_S, sent + up + down)
    # Midpoint estimate: off by (up - down) / 2 = 0.1 s; without the midpoint it would be 0.1 s the other way
    # (from received_at) or 0.3 s (from sent_at).
    assert offset == pytest.approx(OFFSET_S + (up - down) / 2, abs=EXACT)
    assert sync.rtt_s == pytest.approx(up + down, abs=EXACT)


def test_the_lowest_round_trip_sample_wins_not_the_latest() -> None:
    sync = ClockSync(local_clock=lambda: 0.0)
    best = sync.add_ping_sample(10.0, 10.02 + OFFSET_S, 10.04)  # 40 ms round trip, symmetric: exact
    assert best == pytest.approx(OFFSET_S, abs=EXACT)
    sync.add_ping_sample(20.0, 20.4 + OFFSET_S, 20.5)  # 500 ms, asymmetric: off by 150 ms
    sync.add_ping_sample(30.0, 30.25 + OFFSET_S, 30.3)  # 300 ms: off by 100 ms
    assert sync.offset_s == pytest.approx(OFFSET_S, abs=EXACT)
    assert sync.rtt_s == pytest.approx(0.04, abs=EXACT)


def test_old_samples_leave_the_window() -> None:
    sync = ClockSync(local_clock=lambda: 0.0, window=2)
    sync.add_ping_sample(10.0, 10.01 + OFFSET_S, 10.02)  # best, but pushed out by two newer ones
    sync.add_ping_sample(20.0, 20.3 + OFFSET_S, 20.4)
    sync.add_ping_sample(30.0, 30.2 + OFFSET_S, 30.3)
    assert sync.rtt_s == pytest.approx(0.3, abs=EXACT)
    assert sync.offset_s == pytest.approx(OFFSET_S + 0.05, abs=EXACT)
