"""The send buffer's drop-by-time policy and the shared reconnect policy."""

from __future__ import annotations

import random
from fractions import Fraction

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.send_buffer import SendBuffer

TB = Fraction(1, 1000)


def video(ms: int, key: bool = False, disposable: bool = False) -> EncodedPacket:
    return EncodedPacket("video", b"v", ms, ms, TB, key, disposable)


def audio(ms: int) -> EncodedPacket:
    return EncodedPacket("audio", b"a", ms, ms, TB, True)


def test_buffered_time_is_newest_minus_oldest_video():
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(audio(10))
    buf.push(video(33))
    buf.push(audio(300))
    assert buf.buffered_ms() == 300


def test_past_700_ms_only_disposable_video_goes():
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(video(100, disposable=True))
    buf.push(video(200))
    buf.push(video(750))
    kinds = [(p.pts, p.is_keyframe) for p in list(buf._queue)]
    assert (100, False) not in kinds and (200, False) in kinds
    assert buf.dropped["congestion"] == 1


def test_past_900_ms_all_video_but_keyframes_goes_until_the_next_keyframe_never_audio():
    buf = SendBuffer()
    buf.push(video(0, key=True))
    for ms in range(33, 900, 33):
        buf.push(video(ms))
        buf.push(audio(ms))
    assert buf.push(video(950)) is False  # over 900 ms: dropped, and everything but the keyframe
    assert buf.is_waiting_for_keyframe
    assert buf.push(video(983)) is False  # still waiting for a keyframe
    assert buf.push(video(1016, key=True)) is True
    left = list(buf._queue)
    assert [p.pts for p in left if p.kind == "video"] == [0, 1016]
    assert len([p for p in left if p.kind == "audio"]) == len(range(33, 900, 33))  # every audio packet kept
    assert buf.dropped["congestion"] == len(range(33, 900, 33)) + 2


def test_frames_waiting_for_the_keyframe_after_a_reconnect_count_as_disconnect_not_congestion():
    buf = SendBuffer()
    buf.push(video(0, key=True))
    buf.push(video(33))
    buf.clear("disconnect")  # the connection died: its queue is lost
    assert buf.push(video(66)) is False and buf.push(video(99)) is False  # the new one starts at a keyframe
    assert buf.push(video(132, key=True)) is True
    assert buf.dropped_counts() == {"congestion": 0, "disconnect": 4}
    buf.drop_while_disconnected(video(165))
    assert buf.push(video(198)) is False
    assert buf.dropped_counts() == {"congestion": 0, "disconnect": 6}
    # Congestion after that is congestion again.
    for ms in range(231, 1300, 33):
        buf.push(video(ms, key=(ms == 231)))
    assert buf.is_waiting_for_keyframe and buf.dropped_counts()["congestion"] > 0
    congestion = buf.dropped_counts()["congestion"]
    assert buf.push(video(1333)) is False
    assert buf.dropped_counts() == {"congestion": congestion + 1, "disconnect": 6}


def test_reconnect_policy_grows_by_half_with_jitter_and_caps():
    policy = ReconnectPolicy(first_delay_s=2, multiplier=1.5, max_delay_s=10, jitter_fraction=0.1, rng=random.Random(1))
    delays = [policy.delay_s(n) for n in range(1, 8)]
    assert 2 <= delays[0] <= 2.2 and 3 <= delays[1] <= 3.3 and 4.5 <= delays[2] <= 4.95
    assert max(delays) == 10 and all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert ReconnectPolicy(max_attempts=2).should_retry(2) and not ReconnectPolicy(max_attempts=2).should_retry(3)
