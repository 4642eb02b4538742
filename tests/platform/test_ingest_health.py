"""ingest.health as docs/protocol.md defines it: measured from the stream's own timestamps over the
last 3 s; ``keyframe_interval_s`` null until two keyframes arrived. Both ingests (RTMP and WHIP) use
this one window; the end-to-end runs are tests/platform/test_sandbox_ingest.py and
test_sandbox_whip_ingest.py."""

from __future__ import annotations

import pytest

from seller_studio.platform import protocol as p
from seller_studio.platform.sandbox.ingest import _HealthWindow


def _feed(window: _HealthWindow, start_s: float, seconds: float, fps: int, size: int = 1000,
          keyframe_every_s: float | None = None, audio: bool = True) -> None:
    n = round(seconds * fps)
    for i in range(n):
        t = start_s + i / fps
        window.add_packet(t, size, is_audio=False)
        if keyframe_every_s and i % round(keyframe_every_s * fps) == 0:
            window.add_keyframe(t)
        window.add_frame(t, 1280, 720)
        if audio:
            window.add_packet(t, 0, is_audio=True)


def test_keyframe_interval_is_null_until_two_keyframes() -> None:
    w = _HealthWindow()
    _feed(w, 0, 1.0, 30, keyframe_every_s=2.0)  # one keyframe so far
    first = w.report()
    assert first["keyframe_interval_s"] is None
    p.IngestHealth.from_data(first)  # a valid event as it is
    _feed(w, 2.0, 1.0, 30, keyframe_every_s=2.0)  # the second keyframe, 2 s after the first
    assert w.report()["keyframe_interval_s"] == pytest.approx(2.0, abs=1e-6)


def test_rates_come_from_the_last_3_s_of_stream_time() -> None:
    w = _HealthWindow()
    _feed(w, 0, 5.0, 10, size=100, audio=False)  # a slow start, long gone from the window
    _feed(w, 5.0, 5.0, 30, size=1000)  # the last 5 s: 30 fps, 1000 bytes a frame = 240 kbps
    report = w.report()
    assert report["fps"] == pytest.approx(30, abs=0.01)
    assert report["bitrate_kbps"] == pytest.approx(240, rel=0.02)
    assert (report["width"], report["height"], report["has_audio"]) == (1280, 720, True)
    _feed(w, 10.0, 4.0, 30, audio=False)  # audio stopped more than 3 s ago
    assert w.report()["has_audio"] is False
