"""The send buffer's whole contract, edge by edge (written against its mutants: each assertion here
is one that a plausible one-token change to send_buffer.py would break)."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest

from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.send_buffer import SendBuffer

TB = Fraction(1, 10_000)  # tenths of a millisecond, so thresholds can be straddled by 0.1 ms


def video(ms: float, key: bool = False, disposable: bool = False) -> EncodedPacket:
    t = round(ms * 10)
    return EncodedPacket("video", b"v", t, t, TB, key, disposable)


def audio(ms: float) -> EncodedPacket:
    t = round(ms * 10)
    return EncodedPacket("audio", b"a", t, t, TB, True)


def test_a_new_buffer_is_empty_and_not_waiting() -> None:
    buf = SendBuffer()
    assert (len(buf), buf.buffered_ms(), buf.peak_buffered_ms) == (0, 0.0, 0.0)
    assert buf.is_waiting_for_keyframe is False
    assert buf.dropped_counts() == {"congestion": 0, "disconnect": 0}
    assert buf.push(video(0)) is True  # a non-keyframe is accepted: nothing was lost yet


def test_buffered_time_counts_from_the_oldest_video_not_the_oldest_packet() -> None:
    buf = SendBuffer()
    buf.push(audio(0))
    buf.push(video(100, key=True))
    buf.push(audio(400))
    assert buf.buffered_ms() == pytest.approx(300.0, abs=1e-9)


def test_audio_only_buffer_counts_from_its_first_packet() -> None:
    buf = SendBuffer()
    buf.push(audio(100))
    buf.push(audio(350))
    assert buf.buffered_ms() == pytest.approx(250.0, abs=1e-9)


def test_buffered_time_never_negative_and_peak_tracks_the_maximum() -> None:
    buf = SendBuffer()
    buf.push(video(500, key=True))
    buf.push(audio(480))  # audio slightly behind the video it follows
    assert buf.buffered_ms() == 0.0
    buf.push(audio(800))
    assert buf.peak_buffered_ms == pytest.approx(300.0, abs=1e-9)
    assert buf.pop(0.1) is not None
    assert buf.peak_buffered_ms == pytest.approx(300.0, abs=1e-9)  # the peak stays


@pytest.mark.parametrize(("newest_ms", "is_dropped"), [(700.0, False), (700.1, True)])
def test_disposable_threshold_is_strictly_past_700_ms(newest_ms: float, is_dropped: bool) -> None:
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(video(10, disposable=True))
    buf.push(audio(newest_ms))
    assert buf.dropped_counts()["congestion"] == int(is_dropped)


@pytest.mark.parametrize(("newest_ms", "is_dropped"), [(900.0, False), (900.1, True)])
def test_all_video_threshold_is_strictly_past_900_ms(newest_ms: float, is_dropped: bool) -> None:
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(video(10))
    buf.push(audio(newest_ms))
    assert buf.is_waiting_for_keyframe is is_dropped
    assert buf.dropped_counts()["congestion"] == int(is_dropped)


def test_audio_is_never_dropped_and_waiting_applies_to_video_only() -> None:
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(video(10))
    assert buf.push(audio(1000)) is True  # pushes past 900 ms: all video but the keyframe goes
    assert buf.is_waiting_for_keyframe
    assert buf.push(audio(1010)) is True
    assert buf.push(video(1020)) is False
    kinds = [(p.kind, p.pts) for p in list(buf._queue)]
    assert kinds == [("video", 0), ("audio", 10000), ("audio", 10100)]


def test_pop_returns_in_order_and_gives_up_after_its_timeout() -> None:
    buf = SendBuffer()
    first, second = video(0, key=True), audio(5)
    buf.push(first)
    buf.push(second)
    assert buf.pop(0.01) is first and buf.pop(0.01) is second
    result: list[object] = ["not returned"]
    waiter = threading.Thread(target=lambda: result.__setitem__(0, buf.pop(0.05)))
    waiter.start()
    waiter.join(5)
    assert not waiter.is_alive() and result[0] is None


def test_pop_wakes_for_a_packet_pushed_while_waiting() -> None:
    buf = SendBuffer()
    got: list[EncodedPacket | None] = []
    waiter = threading.Thread(target=lambda: got.append(buf.pop(5)))
    waiter.start()
    packet = video(0, key=True)
    buf.push(packet)
    waiter.join(5)
    assert got == [packet]


def test_dropping_while_disconnected_counts_video_only_and_waits_for_a_keyframe() -> None:
    buf = SendBuffer()
    buf.drop_while_disconnected(video(0))
    buf.drop_while_disconnected(audio(0))
    buf.drop_while_disconnected(video(33))
    assert buf.dropped_counts() == {"congestion": 0, "disconnect": 2}
    assert buf.is_waiting_for_keyframe is True
    assert buf.push(video(66)) is False and buf.push(video(99, key=True)) is True


def test_clear_drops_everything_counts_the_video_and_returns_how_many_packets() -> None:
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(audio(10))
    buf.push(video(33))
    buf.dropped["disconnect"] = 5
    assert buf.clear() == 3
    assert len(buf) == 0 and buf.is_waiting_for_keyframe is True
    assert buf.dropped_counts() == {"congestion": 0, "disconnect": 7}
    buf.push(video(40, key=True))
    buf.push(video(50))
    assert buf.clear(cause="congestion") == 2
    assert buf.dropped_counts() == {"congestion": 2, "disconnect": 7}


def test_wake_releases_a_waiting_pop() -> None:
    buf = SendBuffer()
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(buf.pop(30)))
    waiter.start()
    for _ in range(100):
        buf.wake()
        waiter.join(0.05)
        if not waiter.is_alive():
            break
    assert not waiter.is_alive() and got == [None]
