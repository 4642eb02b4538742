"""The health verdict reads the stats bus and says what is wrong and what to do, in plain words."""

from __future__ import annotations

from seller_studio.media.health import HealthMonitor


def stats(frames: int, network: int = 0, encode: int = 0, render: int = 0, **output) -> dict:
    out = {"kind": "stream", "state": "live", "send_buffer_ms": 10, "bitrate_sent_kbps": 2400,
           "encoder_bitrate_kbps": 2500, "reconnects": 0, "attempt": 0, **output}
    return {"frames_encoded": frames, "dropped": {"network": network, "encode_lag": encode, "render_lag": render},
            "cpu_percent": 50, "outputs": [out]}


def test_good_when_nothing_drops():
    monitor = HealthMonitor(30, 2500)
    for s in range(5):
        verdict = monitor.judge(stats(30 * s))
    assert verdict["level"] == "good"


def test_slow_upload_names_the_share_dropped_and_a_lower_bitrate():
    monitor = HealthMonitor(30, 2500)
    monitor.judge(stats(0))
    verdict = monitor.judge(stats(264, network=36, bitrate_sent_kbps=1200))
    assert verdict["level"] == "bad"
    assert verdict["reason"] == "Upload too slow: 12% of frames dropped"
    assert verdict["fix"] == "Lower the bitrate to 1000 kbps in Settings > Video."


def test_reconnecting_says_the_recording_continues():
    monitor = HealthMonitor(30, 2500)
    verdict = monitor.judge(stats(90, state="reconnecting", attempt=2, retry_in_s=3.4))
    assert verdict["level"] == "bad" and "next try in 3 s" in verdict["reason"]
    assert "recording continues" in verdict["reason"] and "Reconnect now" in verdict["fix"]


def test_encoder_overload_and_busy_computer_are_told_apart():
    enc = HealthMonitor(30, 2500)
    enc.judge(stats(0))
    overloaded = enc.judge(stats(270, encode=30))
    assert overloaded["reason"].startswith("Encoder overloaded") and "Close other busy programs" in overloaded["fix"]
    ren = HealthMonitor(30, 2500)
    ren.judge(stats(0))
    assert ren.judge(stats(285, render=15))["reason"].startswith("Computer too busy")


def test_lowered_bitrate_is_a_calm_warning():
    monitor = HealthMonitor(30, 2500)
    verdict = monitor.judge(stats(30, encoder_bitrate_kbps=1500))
    assert verdict["level"] == "warning" and "1500 kbps" in verdict["reason"]
    assert "Nothing to do" in verdict["fix"]
