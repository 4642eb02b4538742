"""Camera modes from real cameras' published listings, the mode choice, and the OpenCV open sequence.

There is no camera on the build machine: the listings are real (``tests/media/data/cameras``), the
camera behind OpenCV is ``camera_sim.SimCapture`` answering set/get the way V4L2 does.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import pytest

from seller_studio.media.sources.camera import (
    AmbiguousCameraError,
    CameraBusyError,
    CameraSource,
    open_capture,
    resolve_camera,
)
from seller_studio.media.sources.camera_modes import (
    CameraInfo,
    CameraMode,
    choose_mode,
    parse_v4l2_ctl,
    shortfall_sentence,
)
from tests.media.camera_sim import SimCapture, SimDevice

DATA = Path(__file__).parent / "data" / "cameras"


def table(name: str) -> list[CameraMode]:
    return parse_v4l2_ctl((DATA / name).read_text())


def test_listings_parse_into_modes():
    c920 = table("logitech-c920.txt")
    assert len(c920) == 53  # 19 YUYV + 17 H264 + 17 MJPG sizes
    assert CameraMode(1920, 1080, 5.0, "YUYV") in c920
    assert CameraMode(1920, 1080, 30.0, "MJPG") in c920
    assert CameraMode(1280, 720, 10.0, "YUYV") in c920
    assert CameraMode(2304, 1536, 2.0, "YUYV") in c920
    assert table("camlink-4k-1080p60.txt") == [CameraMode(1920, 1080, 60.0, f) for f in ("YUYV", "NV12", "YU12")]
    assert {m.size for m in table("usb2-camera-4x3.txt")} == {(640, 480), (352, 288), (320, 240), (176, 144),
                                                              (160, 120)}
    laptop = table("hd-720p-camera.txt")
    assert CameraMode(1280, 720, 30.0, "MJPG") in laptop and CameraMode(1280, 720, 10.0, "YUYV") in laptop


def test_old_v4l2_ctl_layout_and_stepwise_sizes():
    old = ("ioctl: VIDIOC_ENUM_FMT\n\tIndex       : 0\n\tType        : Video Capture\n\tPixel Format: 'YUYV'\n"
           "\tName        : YUYV 4:2:2\n\t\tSize: Discrete 640x480\n\t\t\tInterval: Discrete 0.033s (30.000 fps)\n"
           "\n\tIndex       : 1\n\tPixel Format: 'MJPG' (compressed)\n\t\tSize: Stepwise 32x32 - 1920x1080 with step 2/2\n")
    modes = parse_v4l2_ctl(old)
    assert CameraMode(640, 480, 30.0, "YUYV") in modes
    assert CameraMode(1920, 1080, 0.0, "MJPG") in modes and CameraMode(1280, 720, 0.0, "MJPG") in modes


# (listing, asked size/fps) -> (chosen mode, advice expected?)
CHOICES = [
    ("logitech-c920.txt", (1920, 1080, 30), CameraMode(1920, 1080, 30.0, "MJPG"), False),
    ("logitech-c920.txt", (1280, 720, 30), CameraMode(1280, 720, 30.0, "MJPG"), False),
    ("logitech-c920.txt", (640, 480, 30), CameraMode(640, 480, 30.0, "YUYV"), False),
    ("logitech-c920.txt", (1920, 1080, 60), CameraMode(1920, 1080, 30.0, "MJPG"), True),
    ("hd-720p-camera.txt", (1280, 720, 30), CameraMode(1280, 720, 30.0, "MJPG"), False),
    ("hd-720p-camera.txt", (1920, 1080, 30), CameraMode(1280, 720, 30.0, "MJPG"), True),
    ("usb2-camera-4x3.txt", (1280, 720, 30), CameraMode(640, 480, 30.0, "YUYV"), True),
    ("usb2-camera-4x3.txt", (640, 480, 30), CameraMode(640, 480, 30.0, "YUYV"), False),
    ("camlink-4k-1080p60.txt", (1920, 1080, 30), CameraMode(1920, 1080, 60.0, "YUYV"), False),
    ("camlink-4k-1080p60.txt", (1280, 720, 30), CameraMode(1920, 1080, 60.0, "YUYV"), False),
    ("camlink-4k-1080p60.txt", (1920, 1080, 60), CameraMode(1920, 1080, 60.0, "YUYV"), False),
]


@pytest.mark.parametrize(("listing", "asked", "expected", "has_advice"), CHOICES)
def test_mode_choice_for_real_cameras(listing, asked, expected, has_advice):
    choice = choose_mode(table(listing), *asked)
    print(f"\n{listing} asked {asked[0]}x{asked[1]}@{asked[2]}: {choice.mode.label} - {choice.reason}"
          + (f" | {choice.advice}" if choice.advice else ""))
    assert choice.mode == expected
    assert choice.fourcc == expected.pixel_format
    assert bool(choice.advice) == has_advice


def test_advice_names_the_sizes_that_reach_the_rate():
    # A camera whose 1920x1080 exists only raw (the C920 without its MJPEG and H.264 formats).
    raw_only = [m for m in table("logitech-c920.txt") if m.pixel_format == "YUYV"]
    choice = choose_mode(raw_only, 1920, 1080, 30)
    assert choice.mode == CameraMode(1920, 1080, 5.0, "YUYV")
    assert choice.advice == "This camera gives 5 fps at 1920x1080 — choose 800x448 or 640x360 for 30 fps."
    print("\n" + choice.advice)
    assert shortfall_sentence((1920, 1080, 30), (1920, 1080, 10), table("logitech-c920.txt")) == \
        "This camera gives 10 fps at 1920x1080 — choose 1600x896 or 1280x720 for 30 fps."


def sim_source(listing: str, width: int, height: int, fps: float, **device) -> tuple[CameraSource, list, SimDevice]:
    calls: list[tuple] = []
    sim = SimDevice(table(listing), **device)
    cam = CameraSource("cam", 0, width, height, fps, capture_factory=lambda: SimCapture(sim, calls),
                       modes=sim.modes, name="HD Pro Webcam C920")
    return cam, calls, sim


def test_open_sets_fourcc_before_size_and_fps_and_reports_delivered():
    cam, calls, _ = sim_source("logitech-c920.txt", 1920, 1080, 30)
    cam.start()
    try:
        sets = [c[1] for c in calls if c[0] == "set" and c[1] != cv2.CAP_PROP_READ_TIMEOUT_MSEC]
        assert sets == [cv2.CAP_PROP_FOURCC, cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS]
        assert cam.report.to_json()["delivered"] == {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"}
        assert cam.notice == ""
        deadline = time.monotonic() + 2
        while cam.slot.get() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cam.slot.get().size == (1920, 1080)
    finally:
        cam.stop()


def test_without_fourcc_the_webcam_falls_back_to_raw_and_the_seller_is_told():
    """What the studio did before: size and fps only. The C920 stays in YUYV at 5 fps."""
    sim = SimDevice(table("logitech-c920.txt"))
    choice = choose_mode(sim.modes, 1920, 1080, 30)
    plain = type(choice)(choice.asked, choice.mode, "", choice.reason)  # the same ask without FOURCC
    report = open_capture(SimCapture(sim), 0, cv2.CAP_V4L2, plain, sim.modes)
    assert report.delivered == (1920, 1080, 5.0) and report.fourcc == "YUYV"
    assert report.sentence == "This camera gives 5 fps at 1920x1080 — choose 1600x896 or 1280x720 for 30 fps."
    # FOURCC after the size is just as wrong: switching format resets the size to that format's nearest.
    cap = SimCapture(sim)
    cap.open(0, cv2.CAP_V4L2)
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, 1920)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, 1080)
    assert cap.get(cv2.CAP_PROP_FPS) == 5.0


def test_vertical_canvas_asks_the_camera_for_landscape():
    cam, calls, _ = sim_source("logitech-c920.txt", 720, 1280, 30)
    assert cam.requested == (1280, 720, 30.0) and cam.choice.mode == CameraMode(1280, 720, 30.0, "MJPG")


def test_a_busy_camera_is_one_clear_sentence():
    cam, _, _ = sim_source("logitech-c920.txt", 1280, 720, 30, is_busy=True)
    cam.first_frame_timeout_s = 0.5
    with pytest.raises(CameraBusyError, match="another program .* is probably using it"):
        cam.start()


def test_a_refused_mode_is_reported_with_the_fix():
    """A driver that ignores the FOURCC: the webcam stays raw, and the seller reads what to choose."""
    cam, _, _ = sim_source("logitech-c920.txt", 1920, 1080, 30, refuse_fourcc=True)
    cam.start()
    try:
        assert cam.report.refused == ["pixel format MJPG"]
        assert cam.report.delivered == (1920, 1080, 5.0)
        assert cam.notice == "This camera gives 5 fps at 1920x1080 — choose 1600x896 or 1280x720 for 30 fps."
        assert cam.rate_notice == cam.notice  # the health row repeats a frame-rate shortfall while live
        print("\n" + cam.notice)
    finally:
        cam.stop()


def test_a_name_matching_two_cameras_asks_for_the_number():
    infos = [CameraInfo(0, "USB2.0 Camera", "/dev/video0"), CameraInfo(2, "USB2.0 Camera", "/dev/video2"),
             CameraInfo(4, "HD Pro Webcam C920", "/dev/video4")]
    assert resolve_camera("hd pro webcam c920", infos) == 4
    with pytest.raises(AmbiguousCameraError) as err:
        resolve_camera("USB2.0 Camera", infos)
    assert str(err.value) == ("2 cameras are called 'USB2.0 Camera' (numbers 0 and 2): choose one by its number, "
                              "e.g. --camera 0, or pick it in Settings > Video.")


def test_a_camera_that_vanishes_goes_lost_without_blocking_and_comes_back():
    cam, _, sim = sim_source("hd-720p-camera.txt", 1280, 720, 30)
    cam.start()
    states: list[str] = []
    cam.events.subscribe(lambda name, p: states.append(p.get("state")) if name == "source_state" else None)
    try:
        time.sleep(0.3)
        sim.is_gone = True  # unplugged: reads fail, reopening fails
        t0 = time.monotonic()
        slowest = 0.0
        while cam.state.value != "lost" and time.monotonic() - t0 < 3:
            t = time.monotonic()
            cam.frame_at(0, t)
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(0.01)
        assert cam.state.value == "lost"
        time.sleep(1.2)
        assert cam.frame_at(0, time.monotonic()).image.mean() < 60  # the slate after 2 s
        sim.is_gone = False  # plugged back in
        t1 = time.monotonic()
        while cam.state.value != "live" and time.monotonic() - t1 < 8:
            time.sleep(0.02)
        assert cam.state.value == "live" and states[-2:] == ["lost", "live"]
        assert slowest < 0.005  # the compositor's call never waits on the device
    finally:
        cam.stop()


def test_devices_lists_modes_by_size():
    from seller_studio.cli.devices_cmd import mode_lines

    cam = CameraInfo(0, "HD Pro Webcam C920", "/dev/video0", "v4l2", table("logitech-c920.txt")).to_json()
    lines = mode_lines(cam)
    assert lines[0] == "2304x1536: YUYV 2 fps"
    assert "1920x1080: YUYV 5 fps, H264 30 fps, MJPG 30 fps" in lines
    note = CameraInfo(0, "FaceTime HD Camera", "0", "avfoundation", [], "this system does not list camera modes")
    assert mode_lines(note.to_json()) == ["modes: this system does not list camera modes"]


def test_linux_listing_keeps_a_camera_it_cannot_query_and_says_why(tmp_path):
    from seller_studio.media.sources.v4l2 import list_v4l2_cameras

    for node, name, index in (("video90", "HD Pro Webcam C920", "0"), ("video91", "HD Pro Webcam C920", "1")):
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name + "\n")
        (tmp_path / node / "index").write_text(index + "\n")
    found = list_v4l2_cameras(tmp_path)  # no /dev/video90 on any test machine
    assert [(c.index, c.name) for c in found] == [(90, "HD Pro Webcam C920")]  # the second node is metadata
    assert found[0].modes == [] and found[0].modes_note.startswith("cannot query /dev/video90")


def test_profile_camera_mode_overrides_the_canvas_size():
    from seller_studio.studio.assembly import parse_camera_mode

    assert parse_camera_mode("1280x720@30") == (1280, 720, 30.0)
    assert parse_camera_mode("auto") is None and parse_camera_mode(None) is None


def test_a_slow_camera_is_a_health_warning_with_the_fix():
    from seller_studio.media.health import HealthMonitor

    stats = {"dropped": {"network": 0, "encode_lag": 0, "render_lag": 0}, "frames_encoded": 30, "outputs": [],
             "cpu_percent": 20, "camera_notices": [
                 "This camera gives 5 fps at 1920x1080 — choose 1600x896 or 1280x720 for 30 fps."]}
    verdict = HealthMonitor(30, 2500).judge(stats)
    assert verdict == {"level": "warning", "reason": "This camera gives 5 fps at 1920x1080",
                       "fix": "Choose 1600x896 or 1280x720 for 30 fps."}


def test_a_4x3_camera_on_a_16x9_canvas_is_told_once_not_nagged():
    cam, _, _ = sim_source("usb2-camera-4x3.txt", 1280, 720, 30)
    cam.start()
    try:
        assert cam.report.delivered == (640, 480, 30.0)
        assert cam.notice.startswith("This camera's largest picture at 30 fps is 640x480 (another shape")
        assert cam.rate_notice == ""
    finally:
        cam.stop()


def test_a_camera_hung_at_open_is_a_clear_error_and_is_released_only_after_its_read():
    cam, calls, sim = sim_source("hd-720p-camera.txt", 1280, 720, 30, is_hung=True)
    cam.first_frame_timeout_s = 0.3
    with pytest.raises(CameraBusyError):
        cam.start()
    assert ("release",) not in calls  # never released under a read in progress
    sim.is_hung = False
    deadline = time.monotonic() + 2
    while ("release",) not in calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls[-1] == ("release",)  # the reader released it once its read returned
