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
    assert verdict["reason"] == "Upload too slow: 12% of frames dropped (your upload carries about 1200 kbps)"
    # 1200 x 0.85 - 160 audio - 20 overhead = 840: video that fits with the audio beside it.
    assert verdict["fix"] == "Lower the bitrate to 800 kbps in Settings > Video."


def test_adaptive_stream_names_the_uplink_and_never_advises_what_the_studio_did():
    monitor = HealthMonitor(30, 2500)
    monitor.judge(stats(0))
    plan = {"video_kbps": 505, "audio_kbps": 160, "fps_divisor": 1, "link_kbps": 800}
    verdict = monitor.judge(stats(264, network=36, bitrate_sent_kbps=790, is_dynamic_bitrate=True,
                                  rate_plan=plan, encoder_bitrate_kbps=505))
    assert "about 800 kbps" in verdict["reason"] and "505 kbps video at 30 fps" in verdict["reason"]
    assert "Lower the bitrate" not in verdict["fix"] and "Nothing to change" in verdict["fix"]
    calm = HealthMonitor(30, 2500).judge(stats(30, is_dynamic_bitrate=True, encoder_bitrate_kbps=250,
                                               rate_plan={**plan, "video_kbps": 250, "fps_divisor": 2,
                                                          "audio_kbps": 64, "link_kbps": 400}))
    assert calm["level"] == "warning"
    assert calm["reason"] == ("Your upload carries about 400 kbps: the studio now sends 250 kbps video at 15 fps "
                              "and 64 kbps audio")


def test_a_thread_crash_is_told_in_plain_words_until_well_after_the_restart():
    monitor = HealthMonitor(30, 2500)
    crash = {"part": "encoder", "thread": "encoder", "error": "RuntimeError: boom", "restarted_in_ms": None}
    down = monitor.judge({**stats(30), "thread_crashes": [crash]})
    assert down["level"] == "bad" and down["reason"].startswith("The video encoder stopped after an internal error")
    back = monitor.judge({**stats(60), "thread_crashes": [{**crash, "restarted_in_ms": 420.0}]})
    assert back["level"] == "warning" and "restarted in 420 ms" in back["reason"]
    assert "busy programs" not in back["fix"]


def test_a_stalled_encoder_is_not_blamed_on_other_programs():
    monitor = HealthMonitor(30, 2500)
    monitor.judge(stats(0))
    verdict = monitor.judge({**stats(0, encode=30), "encoder_idle_s": 4.0})
    assert verdict["level"] == "bad" and "stopped responding" in verdict["reason"]
    assert "busy programs" not in verdict["fix"]


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
