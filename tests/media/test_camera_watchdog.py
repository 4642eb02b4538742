"""The frozen-camera watchdog, with a video file opened as a camera (OpenCV reads it the way it reads a
device) and the ``camera-freeze`` fault hanging its reads like a hung driver.

Prints the detection and recovery times.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from seller_studio.diagnostics.faults import FaultSchedule, camera_freeze_appliers, parse_simulate
from seller_studio.diagnostics.journal import Journal
from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.sources.camera import CameraSource
from seller_studio.media.studio import Studio

W, H, FPS = 320, 180, 30


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cam") / "moving.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration=20",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def still_tail_clip(tmp_path_factory) -> Path:
    """2 s of moving picture, then the last picture repeated for 6 s (a driver handing out one buffer)."""
    path = tmp_path_factory.mktemp("cam") / "still-tail.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration=2",
                    "-vf", "tpad=stop_mode=clone:stop_duration=6", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-qp", "0",
                    "-preset", "ultrafast", str(path)], check=True)
    return path


def is_slate(image: np.ndarray) -> bool:
    return abs(float(image.mean()) - 45) < 15 and float(image.std()) < 40


class ProgramWatcher:
    """Samples the studio's program picture and the source events with their times."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.events: list[tuple[float, str, str]] = []
        self.pictures: list[tuple[float, bool, int]] = []  # (t, is slate, preview frame index)
        studio.events.subscribe(self._on_event)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _on_event(self, name: str, payload: dict) -> None:
        if name == "source_state":
            self.events.append((time.monotonic(), payload["state"], payload.get("reason", "")))

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            got = self.studio.preview()
            if got is not None:
                self.pictures.append((time.monotonic(), is_slate(got[1]), got[0]))

    def first(self, state: str, after_s: float) -> float:
        return next(t for t, s, _ in self.events if s == state and t >= after_s)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)


def camera_studio(clip: Path) -> tuple[Studio, CameraSource]:
    studio = Studio(W, H, FPS)
    cam = CameraSource("camera-1", str(clip), W, H, FPS)
    studio.add_source(cam)
    studio.add_scene(Scene("cam", [Layer("camera-1")]))
    studio.start()
    return studio, cam


def test_camera_freeze_is_detected_shown_journaled_and_recovered(moving_clip, tmp_path):
    studio, cam = camera_studio(moving_clip)
    journal = Journal(tmp_path / "journal.jsonl", command="test")
    journal.attach_studio(studio)
    watcher = ProgramWatcher(studio)
    faults = parse_simulate("camera-freeze@1s:4s")
    schedule = FaultSchedule(faults, camera_freeze_appliers(list(studio.sources.values())), journal)
    try:
        time.sleep(0.5)
        assert cam.state.value == "live"
        schedule.start()
        freeze_at = schedule._t0 + 1.0
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and not (schedule.log and len(schedule.log) == 2
                                                   and cam.state.value == "live"):
            time.sleep(0.05)
        time.sleep(0.5)
        thaw_at = schedule._t0 + 5.0
        lost_t = watcher.first("lost", freeze_at)
        live_t = watcher.first("live", thaw_at)
        slate_t = next(t for t, slate, _ in watcher.pictures if slate and t >= freeze_at)
        last_picture_held = [t for t, slate, _ in watcher.pictures if freeze_at + 0.2 < t < slate_t]
        detection_s, slate_s, recovery_s = lost_t - freeze_at, slate_t - freeze_at, live_t - thaw_at
        after = [slate for t, slate, _ in watcher.pictures if t > live_t + 0.2]
        print(f"\ncamera-freeze@1s:4s: detected after {detection_s:.2f} s, slate after {slate_s:.2f} s, "
              f"recovered {recovery_s:.2f} s after the freeze ended; reopens during the freeze: {cam.reopens}")
        assert 0.95 <= detection_s <= 1.4
        assert 1.95 <= slate_s <= 2.4
        assert last_picture_held and all(not slate for t, slate, _ in watcher.pictures if t in last_picture_held)
        assert recovery_s <= 1.0
        assert after and not any(after)  # the camera's picture again, no slate
        assert cam.reopens >= 1 and cam.freezes == 1
        assert studio.compositor.frames_skipped_render_lag == 0  # the compositor never waited on the camera
    finally:
        watcher.close()
        schedule.stop()
        studio.stop()
        journal.close()
    lines = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    names = [(e["kind"], e["name"], e["data"].get("phase") or e["data"].get("state")) for e in lines]
    assert ("fault", "camera-freeze", "start") in names and ("fault", "camera-freeze", "end") in names
    lost = [e for e in lines if e["name"] == "source_state" and e["data"]["state"] == "lost"]
    assert lost and "froze" in lost[0]["data"]["reason"]
    assert names.index(("media", "source_state", "lost")) < names.index(("media", "source_state", "live"))


def test_a_camera_repeating_one_picture_counts_as_frozen(still_tail_clip):
    studio, cam = camera_studio(still_tail_clip)
    cam.detect_repeats = True  # as for a device: a file may hold a still picture, a sensor never does
    watcher = ProgramWatcher(studio)
    started = time.monotonic()
    try:
        deadline = started + 10
        while time.monotonic() < deadline and not any(s == "live" for t, s, _ in watcher.events
                                                      if any(s2 == "lost" for _, s2, _ in watcher.events)):
            time.sleep(0.05)
        lost_t = watcher.first("lost", started)
        reason = next(r for _, s, r in watcher.events if s == "lost")
        print(f"\nrepeated picture: frozen {lost_t - started:.2f} s after start (the still part begins at "
              f"~2 s), back live after reopen: {any(s == 'live' for _, s, _ in watcher.events)}")
        assert "repeats the same picture" in reason
        assert 2.7 <= lost_t - started <= 3.8
        assert watcher.first("live", lost_t) - lost_t < 2.0  # reopened: the file starts over, moving again
    finally:
        watcher.close()
        studio.stop()


def test_one_camera_failing_never_stalls_the_others(moving_clip):
    """Three cameras, each on its own thread; one freezes: the others keep delivering new pictures."""
    studio = Studio(W * 2, H * 2, FPS)
    cams = [CameraSource(f"camera-{i}", str(moving_clip), W, H, FPS) for i in range(3)]
    for cam in cams:
        studio.add_source(cam)
    studio.add_scene(Scene("three", [Layer("camera-0"), Layer("camera-1"), Layer("camera-2")]))
    studio.start()
    try:
        time.sleep(0.5)
        cams[0].device_frozen.set()
        counts = [c.slot.frames_in for c in cams]
        time.sleep(2.5)
        delivered = [c.slot.frames_in - n for c, n in zip(cams, counts, strict=True)]
        print(f"\nframes in 2.5 s with camera-0 frozen: {delivered}")
        assert cams[0].state.value == "lost" and delivered[0] == 0
        assert all(d >= 2.5 * FPS * 0.8 for d in delivered[1:])
        assert cams[1].state.value == "live" and cams[2].state.value == "live"
        assert studio.compositor.frames_skipped_render_lag == 0
    finally:
        cams[0].device_frozen.clear()
        studio.stop()


def test_the_health_row_says_a_camera_froze(moving_clip):
    from seller_studio.media.health import HealthMonitor

    studio, cam = camera_studio(moving_clip)
    try:
        cam.device_frozen.set()
        deadline = time.monotonic() + 3
        while cam.state.value != "lost" and time.monotonic() < deadline:
            time.sleep(0.05)
        lost = [{"id": sid, "kind": src.kind, "reason": src.lost_reason} for sid, src in studio.sources.items()
                if src.state.value == "lost"]
        stats = {"dropped": {"network": 0, "encode_lag": 0, "render_lag": 0}, "frames_encoded": 30,
                 "outputs": [], "cpu_percent": 20, "sources_lost": lost}
        verdict = HealthMonitor(30, 2500).judge(stats)
        assert verdict["level"] == "warning"
        assert verdict["reason"].startswith("Camera '") and "froze" in verdict["reason"]
        assert "reconnects by itself" in verdict["fix"]
    finally:
        cam.device_frozen.clear()
        studio.stop()


def test_camera_freeze_on_the_demos_test_pattern_behaves_like_a_camera():
    """--demo --simulate camera-freeze@T:DUR: the demo's camera is the test pattern (no device to hang);
    the studio's fault wrapper gives the program the same picture as a frozen camera."""
    from seller_studio.diagnostics import studio_faults
    from seller_studio.media.sources.test_pattern import TestPatternSource

    faults = parse_simulate("camera-freeze@0.5s:2.5s,camera-lost@10s:1s")
    specs = [{"id": "pattern-1", "kind": "test-pattern"}]
    studio = Studio(W, H, FPS)
    studio.add_source(studio_faults.wrap_video(TestPatternSource("pattern-1", W, H, FPS), faults,
                                               studio_faults.camera_like_ids(specs)))
    studio.add_scene(Scene("s", [Layer("pattern-1")]))
    studio.start()
    watcher = ProgramWatcher(studio)
    schedule = FaultSchedule(faults[:1], camera_freeze_appliers(list(studio.sources.values())))
    try:
        schedule.start()
        freeze_at, thaw_at = schedule._t0 + 0.5, schedule._t0 + 3.0
        time.sleep(3.6)
        lost_t, live_t = watcher.first("lost", freeze_at), watcher.first("live", thaw_at)
        slate_t = next(t for t, slate, _ in watcher.pictures if slate and t >= freeze_at)
        print(f"\ntest pattern freeze: lost after {lost_t - freeze_at:.2f} s, slate after {slate_t - freeze_at:.2f} s, "
              f"back {live_t - thaw_at:.2f} s after the freeze ended")
        assert 0.95 <= lost_t - freeze_at <= 1.3 and 1.95 <= slate_t - freeze_at <= 2.3
        assert live_t - thaw_at <= 0.2
        held = [index for t, slate, index in watcher.pictures if freeze_at + 0.2 < t < slate_t - 0.1]
        assert held and len(set(held)) > 1  # the program keeps running...
        assert not any(slate for t, slate, _ in watcher.pictures if freeze_at + 0.2 < t < slate_t - 0.1)
    finally:
        watcher.close()
        schedule.stop()
        studio.stop()
