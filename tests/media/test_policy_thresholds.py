"""The reference numbers the stream output is built on, checked on both sides of each threshold
with the defaults the product uses (a test with its own numbers cannot catch a changed default)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.send_buffer import SendBuffer

TB = Fraction(1, 1000)


def video(ms: int, key: bool = False, disposable: bool = False) -> EncodedPacket:
    return EncodedPacket("video", b"v", ms, ms, TB, key, disposable)


def test_default_reconnect_policy_first_retry_after_2_s_then_x1_5() -> None:
    policy = ReconnectPolicy(rng=random.Random(3))
    first = [policy.delay_s(1) for _ in range(50)]
    assert min(first) >= 2.0 and max(first) <= 2.0 * (1 + policy.jitter_fraction)
    second = policy.delay_s(2)
    assert 3.0 <= second <= 3.0 * (1 + policy.jitter_fraction)


def _buffer_at(ms: int) -> tuple[SendBuffer, EncodedPacket]:
    """A default buffer holding a keyframe at 0, a disposable frame at 33 and a reference frame at 66,
    then a frame that brings the buffered time to ``ms``."""
    buf = SendBuffer()
    buf.push(video(0, key=True))
    disposable = video(33, disposable=True)
    buf.push(disposable)
    buf.push(video(66))
    buf.push(video(ms))
    return buf, disposable


@pytest.mark.parametrize(("buffered_ms", "dropped"), [(690, 0), (710, 1), (890, 1)])
def test_disposable_video_goes_only_past_700_ms(buffered_ms: int, dropped: int) -> None:
    buf, disposable = _buffer_at(buffered_ms)
    assert buf.dropped_counts()["congestion"] == dropped
    assert (disposable in list(buf._queue)) == (dropped == 0)
    assert not buf.is_waiting_for_keyframe


@pytest.mark.parametrize(("buffered_ms", "is_all_video_dropped"), [(890, False), (910, True)])
def test_all_video_goes_only_past_900_ms(buffered_ms: int, is_all_video_dropped: bool) -> None:
    buf, _ = _buffer_at(buffered_ms)
    assert buf.is_waiting_for_keyframe == is_all_video_dropped
    left = [p.pts for p in list(buf._queue) if p.kind == "video"]
    assert left == ([0] if is_all_video_dropped else [0, 66, buffered_ms])


def test_retry_numbers_count_from_one_and_attempts_can_be_capped() -> None:
    with pytest.raises(ValueError, match="^attempt counts from 1$"):
        ReconnectPolicy().delay_s(0)
    assert ReconnectPolicy().should_retry(10_000)
    capped = ReconnectPolicy(max_attempts=3)
    assert [capped.should_retry(n) for n in (1, 3, 4)] == [True, True, False]


def _congest(buffered_ms: float, seconds: float = 2.0):
    """Feed a fresh 2500 kbps controller a buffer held at ``buffered_ms``; the first new plan, if any."""
    from seller_studio.media.outputs.bitrate import BitrateController

    controller = BitrateController(2500, 160, 1280, 720, 30)
    t = 100.0
    while t < 100.0 + seconds:
        change = controller.update(t, buffered_ms, lambda window_s: 900.0)  # the link carries ~900 kbps
        if change is not None:
            return change
        t += 0.1
    return None


def test_dynamic_bitrate_lowers_once_the_buffer_passes_200_ms_not_before() -> None:
    assert _congest(190.0) is None
    change = _congest(210.0)
    assert change is not None
    plan, why = change
    assert plan.video_kbps + plan.audio_kbps < 2500 + 160 and why
