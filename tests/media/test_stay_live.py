"""Stay live through real faults: a killed and restarted nginx, a throttled uplink, an ingest that
drops the connection at once, and a stop during the reconnect wait."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import OutputState
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.studio import Studio, pattern_studio
from tests.helpers import Nginx, decode_media, stream_duration_s

pytestmark = pytest.mark.rtmp

FPS = 30


def make_studio(width=320, height=180) -> Studio:
    return pattern_studio(width, height, FPS)


class Timeline:
    """Output events with the monotonic time they happened."""

    def __init__(self, output) -> None:
        self.events: list[tuple[float, str, dict]] = []
        output.events.subscribe(lambda name, p: self.events.append((time.monotonic(), name, dict(p))))

    def states(self, state: str) -> list[tuple[float, dict]]:
        return [(t, p) for t, n, p in self.events if n == "output_state" and p["state"] == state]


def first_video_packet_is_keyframe(path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
                          "-read_intervals", "%+#1", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return out.stdout.strip().startswith("K")


def test_ingest_killed_and_restarted(tmp_path):
    """nginx killed at t=5 s and restarted at t=12 s: back within 3 s, keyframe first, recording whole."""
    server = Nginx(tmp_path / "nginx").start()
    studio = make_studio()
    stream = StreamOutput(server.url, "live-key")
    recording = RecordingOutput(tmp_path / "local.mkv")
    timeline = Timeline(stream)
    duration_s = 20.0
    session = studio.go_live([stream, recording], VideoSettings(320, 180, FPS, 600), AudioSettings(),
                             duration_s=duration_s)
    t0 = session.started_at_s
    try:
        time.sleep(max(0.0, t0 + 5 - time.monotonic()))
        server.kill()
        time.sleep(max(0.0, t0 + 12 - time.monotonic()))
        restarted_at = time.monotonic()
        server = Nginx(tmp_path / "nginx", port=server.port).start()
        assert session.wait(duration_s + 10)
    finally:
        studio.stop()
        server.stop()
    lives = timeline.states("live")
    assert len(lives) == 2 and lives[1][1]["reconnects"] == 1
    back_after_s = lives[1][0] - restarted_at
    assert back_after_s <= 3.0, back_after_s
    assert stream.first_packet_after_connect_was_keyframe == [True, True]
    second = server.recordings()[-1]
    assert first_video_packet_is_keyframe(second)
    # The local recording went on untouched: full length, no frame code missing.
    media = decode_media(recording.path, with_audio=False)
    assert abs(stream_duration_s(recording.path, "video") - duration_s) <= 1 / FPS + 1e-3
    assert len(media.frame_codes) == duration_s * FPS and media.missing_codes() == []
    print(f"\nreconnected {back_after_s:.2f} s after the ingest returned")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("tc") is None,
                    reason="the throttled link needs root, unshare and tc (CI has them)")
def test_throttled_uplink_bounded_buffer_drops_and_dynamic_bitrate():
    """A 700 kbit/s uplink (tc in a private network namespace) under a 2000 kbps stream, then freed."""
    scenario = Path(__file__).parent / "scenarios" / "throttled_uplink.py"
    proc = subprocess.run(["unshare", "-n", sys.executable, str(scenario), "700", "2000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\npeak send buffer {r['peak_buffer_ms']:.0f} ms, dropped {r['dropped_under_cap']} frames, "
          f"bitrate 2000 -> {r['lowest_kbps']} -> {r['recovered_kbps']} kbps, health: {r['health_under_cap']}")
    assert r["peak_buffer_ms"] < 1500  # bounded: the drop policy holds it near 900 ms
    assert r["dropped_under_cap"] > 0 and r["stats_network_drops"] >= r["dropped_under_cap"]
    assert r["lowest_kbps"] < 1000  # dynamic bitrate went down towards the link's 700 kbit/s
    # ...fitted to the measured uplink: video + audio under the cap, the uplink named about right.
    plan = r["plan_under_cap"]
    print(f"plan under the cap: {plan}; dropped in the last 3 s of the cap: "
          f"{r['dropped_last_3s_of_cap']}/{r['frames_last_3s_of_cap']}")
    assert plan["link_kbps"] is not None and 350 <= plan["link_kbps"] <= 850
    # A fit (85 % of the measured uplink) or a probe just past it (105 %): relative to what was measured,
    # which tc's bursts can put a little above the 700 kbit/s cap (a 1.1 x 700 bound failed once at 775).
    assert plan["video_kbps"] + plan["audio_kbps"] <= 1.05 * plan["link_kbps"]
    assert r["dropped_last_3s_of_cap"] <= 0.05 * r["frames_last_3s_of_cap"]  # settled: it fits the link
    assert r["recovered_kbps"] == 2000 and r["final_buffer_ms"] < 200  # and back once the cap lifted
    assert r["state"] == "live" and r["reconnects"] == 0
    assert r["health_under_cap"]["level"] in ("warning", "bad")


def test_ingest_that_closes_at_once_backs_off_without_busy_looping(tmp_path):
    server = Nginx(tmp_path / "nginx").start()
    studio = make_studio()
    stream = StreamOutput(server.url, "stay-live-key", policy=ReconnectPolicy(first_delay_s=1.0, multiplier=1.5, jitter_fraction=0))
    attempts: list[float] = []
    session = studio.go_live([stream], VideoSettings(320, 180, FPS, 500), AudioSettings())
    assert session.is_streaming()
    server.kill()
    # Something else now answers on the port and hangs up at once.
    closer = socket.socket()
    closer.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    closer.bind(("127.0.0.1", server.port))
    closer.listen(16)
    stop = threading.Event()

    def hang_up():
        closer.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = closer.accept()
                conn.close()
            except OSError:
                continue

    threading.Thread(target=hang_up, daemon=True).start()
    stream.events.subscribe(lambda n, p: attempts.append(time.monotonic()) if p.get("state") == "connecting" else None)
    cpu0, wall0 = time.process_time(), time.monotonic()
    time.sleep(7)
    cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
    assert stream.state in (OutputState.RECONNECTING, OutputState.CONNECTING)
    health = session.last_stats["health"]
    studio.stop()
    stop.set()
    closer.close()
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    print(f"\n{len(attempts)} attempts in 7 s, gaps {[round(g, 2) for g in gaps]}, cpu {100 * cpu_s / wall_s:.0f}%")
    assert 2 <= len(attempts) <= 6  # 1, 1.5, 2.25, 3.4 s apart: not a loop
    assert all(b >= a * 0.95 for a, b in zip(gaps, gaps[1:], strict=False))  # growing
    assert health["level"] == "bad" and "reconnecting" in health["reason"].lower()
    # The studio keeps rendering and encoding while it waits; the waiting itself costs nothing.
    assert cpu_s / wall_s < 0.9


def test_stop_during_reconnect_wait_returns_at_once(tmp_path):
    server = Nginx(tmp_path / "nginx").start()
    studio = make_studio()
    stream = StreamOutput(server.url, "stay-live-key", policy=ReconnectPolicy(first_delay_s=30))
    studio.go_live([stream], VideoSettings(320, 180, FPS, 500), AudioSettings())
    server.kill()
    deadline = time.monotonic() + 10
    while stream.state != OutputState.RECONNECTING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stream.state == OutputState.RECONNECTING
    started = time.monotonic()
    stream.stop()
    took_s = time.monotonic() - started
    studio.stop()
    print(f"\nstop during a 30 s reconnect wait took {took_s * 1000:.0f} ms")
    assert took_s < 0.5, took_s  # typically a few ms; not waiting out the backoff is what matters
    assert stream.stop_reason.is_success


def test_reconnect_now_skips_the_wait(tmp_path):
    server = Nginx(tmp_path / "nginx").start()
    studio = make_studio()
    stream = StreamOutput(server.url, "stay-live-key", policy=ReconnectPolicy(first_delay_s=60))
    stream.port_probe_interval_s = 60  # the port watch stays out of the way: only the button may end this wait
    session = studio.go_live([stream], VideoSettings(320, 180, FPS, 500), AudioSettings())
    server.kill()
    deadline = time.monotonic() + 10
    while stream.state != OutputState.RECONNECTING:
        assert time.monotonic() < deadline, "the output never noticed the ingest was gone"
        time.sleep(0.02)
    server = Nginx(tmp_path / "nginx", port=server.port).start()
    time.sleep(1.0)
    assert stream.state == OutputState.RECONNECTING  # nothing but the button ends a 60 s wait
    started = time.monotonic()
    session.reconnect_now()
    while stream.state != OutputState.LIVE and time.monotonic() - started < 5:
        time.sleep(0.02)
    took_s = time.monotonic() - started
    studio.stop()
    server.stop()
    assert stream.reconnect_count == 1 and took_s < 1.5, took_s
