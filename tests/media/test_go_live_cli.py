"""`seller-studio stream` end to end: test pattern + tone to a real nginx-rtmp ingest and a local
recording, checked with Debian's ffprobe and by decoding frame codes, flashes and beeps."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import (
    SELLER_STUDIO,
    av_offsets_s,
    decode_media,
    ffprobe,
    stream_duration_s,
    stream_of,
)

pytestmark = pytest.mark.rtmp

FPS = 30
FRAME_S = 1 / FPS
DURATION_S = 10


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    """One 10 s run at 1280x720@30 to nginx and to an MKV, shared by the checks below."""
    from tests.helpers import Nginx

    work = tmp_path_factory.mktemp("golive")
    server = Nginx(work / "nginx").start()
    record = work / "local.mkv"
    stats = work / "stats.jsonl"
    try:
        proc = subprocess.run(
            SELLER_STUDIO + ["stream", "--url", server.url, "--key-env", "TEST_STREAM_KEY", "--camera", "test-pattern",
                             "--mic", "tone", "--size", "1280x720", "--fps", str(FPS), "--duration", str(DURATION_S),
                             "--record", str(record), "--stats", str(stats)],
            env={**os.environ, "TEST_STREAM_KEY": "golive-secret-key"}, capture_output=True, text=True, timeout=120,
        )
        ingest = server.wait_recording_closed()
    finally:
        server.stop()
    return proc, ingest, record, stats


def test_exits_cleanly_and_never_prints_the_key(live_run):
    proc, _, _, _ = live_run
    assert proc.returncode == 0, proc.stderr
    assert "golive-secret-key" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("which", ["ingest", "local"])
def test_format_size_fps_audio_and_duration(live_run, which):
    _, ingest, record, _ = live_run
    path = ingest if which == "ingest" else record
    probe = ffprobe(path)
    video, audio = stream_of(probe, "video"), stream_of(probe, "audio")
    assert video["codec_name"] == "h264"
    assert (video["width"], video["height"]) == (1280, 720)
    assert video["r_frame_rate"] in ("30/1", "30000/1000")
    assert audio["codec_name"] == "aac"
    assert int(audio["sample_rate"]) == 48000 and audio["channels"] == 2
    assert abs(stream_duration_s(path, "video") - DURATION_S) <= FRAME_S + 1e-3
    assert abs(stream_duration_s(path, "audio") - DURATION_S) <= FRAME_S + 1e-3


@pytest.mark.parametrize("which", ["ingest", "local"])
def test_no_frame_missing_and_av_in_sync(live_run, which):
    _, ingest, record, _ = live_run
    media = decode_media(ingest if which == "ingest" else record)
    assert len(media.frame_codes) == DURATION_S * FPS
    assert media.missing_codes() == []
    assert len(media.flash_times_s) == DURATION_S  # one flash per second
    offsets = av_offsets_s(media)
    assert len(offsets) >= DURATION_S - 1  # the last flash may fall in the final 0.1 s
    assert max(abs(o) for o in offsets) <= FRAME_S, offsets


def test_stats_lines_every_second(live_run):
    import json

    _, _, _, stats = live_run
    lines = [json.loads(line) for line in stats.read_text().splitlines()]
    assert len(lines) >= DURATION_S - 1
    last = lines[-1]
    assert last["outputs"][0]["kind"] == "stream" and last["outputs"][0]["state"] == "live"
    fps = sorted(line["fps"] for line in lines[1:])
    assert 28 <= fps[len(fps) // 2] <= 32  # the median second; single seconds jitter on a busy machine
    assert last["dropped"] == {"render_lag": 0, "encode_lag": 0, "network": 0}
    assert last["health"]["level"] == "good"
    assert "golive-secret-key" not in stats.read_text()
