"""Golden traces of the dynamic-bitrate controller: every decision it makes on four simulated links.

The controller is a heuristic (media/outputs/bitrate.py); these traces pin what it was measured to do
(the README's adaptive-bitrate figures come from the same code on real links). Any change to a
threshold, step or timing shows up as a changed trace. After an intended change, look at the new
decisions and regenerate: `REGEN_BITRATE_TRACES=1 pytest tests/media/test_bitrate_traces.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seller_studio.media.outputs.bitrate import BitrateController, RatePlan
from tests.media.test_bitrate_controller import FPS, SimulatedLink

GOLDEN = Path(__file__).parent / "data" / "bitrate_traces.json"

# name -> (configured video kbps, has audio, [(seconds, link kbps), ...])
SCENARIOS: dict[str, tuple[int, bool, list[tuple[float, float]]]] = {
    "2500 on 800 kbps, then recovered": (2500, True, [(40, 800), (40, 6000)]),
    "2500 on 400 kbps, then recovered": (2500, True, [(40, 400), (40, 6000)]),
    "2500 on a link that sags to 1500 and back": (2500, True, [(10, 6000), (30, 1500), (30, 6000)]),
    "1200 without audio on 300 kbps": (1200, False, [(30, 300), (30, 3000)]),
    "two sags: 700 kbps twice": (2000, True, [(25, 700), (30, 5000), (25, 700), (30, 5000)]),
}


def trace_of(video_kbps: int, has_audio: bool, phases: list[tuple[float, float]]) -> list[list]:
    controller = BitrateController(video_kbps, 160, 1280, 720, FPS, has_audio=has_audio)
    link = SimulatedLink(phases[0][1])
    decisions: list[list] = []
    measured = controller.measured_link_kbps
    i = 0
    for seconds, rate_kbps in phases:
        link.rate_kbps = rate_kbps
        for _ in range(round(seconds * FPS)):
            now = i / FPS
            plan = controller.plan
            if i % plan.fps_divisor == 0:
                link.push(now, plan.video_kbps * plan.fps_divisor * 1000 / FPS, "video")
            if has_audio:
                link.push(now, plan.audio_kbps * 1000 / FPS, "audio")
            link.drain(now, 1 / FPS)
            change = controller.update(now, link.buffered_ms(now), lambda w, now=now: link.sent_kbps(now, w))
            if change is not None:
                new, why = change
                decisions.append([round(now, 3), new.video_kbps, new.audio_kbps, new.fps_divisor,
                                  None if new.link_kbps is None else round(new.link_kbps, 1), why])
            if controller.measured_link_kbps != measured:  # what the health row names as the uplink
                measured = controller.measured_link_kbps
                decisions.append(["measured", round(now, 3), None if measured is None else round(measured, 1)])
            i += 1
    decisions.append(["dropped", link.dropped, "frames", link.frames,
                      None if controller.measured_link_kbps is None else round(controller.measured_link_kbps, 1)])
    return decisions


def test_traces_match_the_golden_ones() -> None:
    traces = {name: trace_of(*spec) for name, spec in SCENARIOS.items()}
    if os.environ.get("REGEN_BITRATE_TRACES"):
        GOLDEN.write_text(json.dumps(traces, indent=1) + "\n")
    golden = json.loads(GOLDEN.read_text())
    for name, trace in traces.items():
        assert json.loads(json.dumps(trace)) == golden[name], f"{name}: the controller decided differently"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_trace_steps_down_then_back_to_the_setting(name: str) -> None:
    video_kbps, has_audio, _ = SCENARIOS[name]
    decisions = [d for d in json.loads(GOLDEN.read_text())[name] if d[0] not in ("dropped", "measured")]
    assert decisions[0][1] < video_kbps  # the first decision lowers the video
    last = decisions[-1]
    assert (last[1], last[2], last[3], last[4]) == (video_kbps, 160 if has_audio else 0, 1, None)
    assert all(d[3] in (1, 2, 3) for d in decisions)


def test_rate_plan_as_stats() -> None:
    assert RatePlan(900, 96, 2, 812.44).to_dict() == {"video_kbps": 900, "audio_kbps": 96, "fps_divisor": 2,
                                                      "link_kbps": 812}
    assert RatePlan(2500, 160).to_dict() == {"video_kbps": 2500, "audio_kbps": 160, "fps_divisor": 1,
                                             "link_kbps": None}
    assert RatePlan(700, 64, 3).encoder_video_kbps == 2100


def test_defaults_and_the_drained_threshold() -> None:
    controller = BitrateController(2500, 160, 1280, 720, 30)
    assert controller.has_audio is True and controller.raise_interval_s == 4.0
    assert controller.plan == controller.configured == RatePlan(2500, 160, 1, None)
    assert controller.measured_link_kbps is None and not controller.is_limited
    assert controller.update(0.0, 200.0, lambda w: 800.0) is None  # 200 ms is not past the threshold


# --- the pieces of a plan, at their edges -----------------------------------------------------------

from seller_studio.media.outputs import bitrate  # noqa: E402


def test_overhead_is_per_packet_plus_chunking() -> None:
    # (30 video + 46.875 audio packets/s) x 20 bytes x 8 bits = 12.3 kbps, plus 1 % of 1000 kbps
    assert bitrate.overhead_kbps(30, 46.875, 1000) == pytest.approx(22.3, abs=1e-9)


def test_fewer_frames_only_below_the_minimum_bits_per_pixel() -> None:
    at_minimum_kbps = bitrate.MIN_BITS_PER_PIXEL * 1280 * 720 * 30 / 1000  # 414.72
    assert bitrate.fps_divisor_for(at_minimum_kbps, 1280, 720, 30) == 1
    assert bitrate.fps_divisor_for(at_minimum_kbps - 0.01, 1280, 720, 30) == 2
    assert bitrate.fps_divisor_for(at_minimum_kbps / 2, 1280, 720, 30) == 2
    assert bitrate.fps_divisor_for(1, 1280, 720, 30) == bitrate.MAX_FPS_DIVISOR == 3


def test_audio_steps_down_only_past_a_quarter_of_the_usable_rate() -> None:
    assert bitrate.audio_for(640, 160) == 160  # exactly a quarter
    assert bitrate.audio_for(639.9, 160) == 96
    assert bitrate.audio_for(10, 160) == 64  # the last step, however thin
    assert bitrate.audio_for(10, 128) == 64 and bitrate.audio_for(1000, 128) == 96
    assert bitrate.audio_for(10, 48) == 48  # below every step: what was configured


def test_a_plan_without_audio_spends_the_link_on_video() -> None:
    plan = bitrate.fit_to_link(1000, 2500, 160, 1280, 720, 30, has_audio=False)
    assert plan.audio_kbps == 0 and plan.fps_divisor == 1 and plan.link_kbps == 1000
    assert plan.video_kbps == int(850 - bitrate.overhead_kbps(30, 0.0, 850))


def test_a_buffer_stuck_while_the_link_measures_fast_still_lowers_by_a_fifth() -> None:
    """A fit that would not lower anything (the buffer grows for another reason) lowers the video by
    20 % instead, keeping the audio and the frame rate."""
    controller = BitrateController(2500, 160, 1280, 720, 30)
    change = None
    t = 10.0
    while change is None and t < 13.0:
        change = controller.update(t, 300.0, lambda w: 6000.0)
        t += 0.05
    assert change is not None
    plan, why = change
    assert (plan.video_kbps, plan.audio_kbps, plan.fps_divisor, plan.link_kbps) == (2000, 160, 1, 6000.0)
    assert why == "send buffer 300 ms, uplink ~6000 kbps"
    assert controller.measured_link_kbps == 6000.0
    # Still stuck a second later: another fifth, never below the minimum.
    for _ in range(200):
        t += 0.05
        controller.update(t, 300.0, lambda w: 6000.0)
    assert controller.plan.video_kbps < 2000 and controller.plan.video_kbps >= bitrate.MIN_VIDEO_KBPS


def test_a_measurement_of_nothing_changes_nothing() -> None:
    controller = BitrateController(2500, 160, 1280, 720, 30)
    for i in range(60):
        assert controller.update(10.0 + i * 0.05, 500.0, lambda w: 0.0) is None
    assert controller.measured_link_kbps is None and controller.plan == controller.configured
