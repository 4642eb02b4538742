"""A WHIP destination beside an RTMP one from the same encode (issue 14: "two nginx-rtmp ingests
plus the WHIP peer: kill one ingest mid-show"): the WHIP peer's process is killed and comes back
— the RTMP destination never notices; then nginx is killed — the WHIP peer keeps every frame."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from seller_studio.common.net import free_port
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import OutputState
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.outputs.whip import WhipOutput
from seller_studio.media.studio import pattern_studio
from tests.helpers import Nginx
from tests.media.test_many_destinations import video_pts_ms

pytestmark = [pytest.mark.rtmp, pytest.mark.timeout(120)]

FPS = 30


def whip_peer(port: int, key: str, seconds: float) -> subprocess.Popen:
    """The sandbox's WHIP ingest in its own process (so it can be killed), reading frame codes."""
    proc = subprocess.Popen([sys.executable, "-m", "seller_studio.diagnostics.whip_latency_probe", str(port), key,
                             str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_whip_peer_killed_rtmp_untouched_then_nginx_killed_whip_untouched(tmp_path):
    port, key = free_port(), "whip-key"
    nginx = Nginx(tmp_path / "nginx").start()
    peer = whip_peer(port, key, 60)
    studio = pattern_studio(640, 360, FPS)
    rtmp = StreamOutput(nginx.url, "rtmp-key", name="rtmp")
    whip = WhipOutput(f"whip://127.0.0.1:{port}/whip", key, name="shop")
    whip.peer_silence_s = 2.0
    recording = RecordingOutput(tmp_path / "local.mkv")
    session = studio.go_live([rtmp, whip, recording], VideoSettings(640, 360, FPS, 800), AudioSettings())
    t0 = session.started_at_s
    try:
        # 1. The WHIP peer dies without a word at 2 s and is started again at 4 s.
        time.sleep(max(0.0, t0 + 2 - time.monotonic()))
        peer.kill()
        peer.wait()
        time.sleep(max(0.0, t0 + 4 - time.monotonic()))
        peer = whip_peer(port, key, 60)  # from its first frame + 1 s, until it is told to end
        back_by = time.monotonic() + 5
        while whip.state != OutputState.LIVE and time.monotonic() < back_by:
            time.sleep(0.05)
        time.sleep(1.0)
        rtmp_after_whip_loss = rtmp.stats()
        whip_back, whip_reasons = whip.state, list(whip.disconnect_reasons)
        # 2. nginx dies 1 s later and is back 2 s after that.
        nginx_killed_s = time.monotonic() - t0
        # (The frames between its own reconnect and the keyframe it asked for count as dropped: before.)
        whip_dropped_before = whip.stats().dropped_network
        nginx.kill()
        time.sleep(2.0)
        nginx = Nginx(tmp_path / "nginx", port=nginx.port).start()
        time.sleep(1.5)
        whip_stats, whip_reconnects = whip.stats(), whip.reconnect_count
    finally:
        studio.stop()
        nginx.stop()
    peer.terminate()  # it reports the frames it decoded
    out, _ = peer.communicate(timeout=30)
    seen = json.loads(out.strip().splitlines()[-1])

    # The WHIP destination's loss: RTMP never noticed, and the local recording agrees with it so far.
    assert rtmp.reconnect_count == 1  # only nginx's own kill, later
    assert (rtmp_after_whip_loss.dropped_network, rtmp_after_whip_loss.dropped_disconnect) == (0, 0)
    assert whip_back == OutputState.LIVE and whip_reasons == ["peer silent"]
    first = video_pts_ms(nginx.recordings()[0]) if nginx.recordings() else []
    recorded = video_pts_ms(recording.final_path or recording.path)
    # Through the WHIP peer's loss until nginx's own kill: every frame, at the same times, no gap.
    assert len(first) >= (nginx_killed_s - 1.0) * FPS and first == recorded[:len(first)]
    # nginx's loss: the WHIP destination never noticed; its peer decoded the frames of that window.
    assert whip_reconnects == 1 and whip_stats.state == "live"
    assert whip_stats.dropped_network == whip_dropped_before, whip_stats
    assert seen["missing"] is not None and seen["missing"] <= 3, seen["missing"]
    assert len(seen["latencies_ms"]) >= 3 * FPS
