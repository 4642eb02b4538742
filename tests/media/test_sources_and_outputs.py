"""Each source kind, recording alone, streaming alone, a scene switch mid-stream, remux to MP4."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.sources.camera import CameraSource
from seller_studio.media.sources.image import ImageSource
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.sources.video_file import VideoFileSource
from seller_studio.media.studio import Studio
from tests.helpers import SELLER_STUDIO, decode_media, ffprobe, stream_duration_s, stream_of

W, H, FPS = 320, 180, 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 2 s clip whose picture is mostly green, made by Debian's ffmpeg."""
    path = tmp_path_factory.mktemp("media") / "green.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c=0x00C000:size={W}x{H}:rate=25:duration=2",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)], check=True)
    return path


def record(studio: Studio, path: Path, seconds: float, audio: bool = True) -> None:
    session = studio.go_live([RecordingOutput(path)], VideoSettings(W, H, FPS, 800),
                             AudioSettings() if audio else None, duration_s=seconds)
    assert session.wait(seconds + 10)
    studio.stop()


def mean_colour(path: Path) -> tuple[float, float, float]:
    media = decode_media(path, with_audio=False)
    colours = np.array(media.mean_rgb[len(media.mean_rgb) // 2 :])
    return tuple(colours.mean(axis=0))


def test_video_file_source_plays_and_loops(clip, tmp_path):
    studio = Studio(W, H, FPS)
    studio.add_source(VideoFileSource("file", clip))
    studio.add_scene(Scene("s", [Layer("file")]))
    studio.start()
    out = tmp_path / "file.mkv"
    record(studio, out, 3.0, audio=False)  # longer than the clip: it loops
    r, g, b = mean_colour(out)
    assert g > 150 and r < 60 and b < 60
    assert abs(stream_duration_s(out, "video") - 3.0) <= 1 / FPS + 1e-3


def test_image_source_keeps_alpha_and_shows(tmp_path):
    png = tmp_path / "logo.png"
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:, :] = (0, 0, 255, 255)  # BGR(A) on disk: red
    cv2.imwrite(str(png), rgba)
    src = ImageSource("img", png)
    assert src.frame_at(0, 0).image.shape == (40, 40, 4)
    assert tuple(src.frame_at(0, 0).image[0, 0]) == (255, 0, 0, 255)


def test_camera_source_through_opencv_reports_what_it_delivers(clip):
    cam = CameraSource("cam", str(clip), 1280, 720, 30)  # a file opened the way a device is
    cam.start()
    try:
        assert cam.delivered["width"] == W and cam.delivered["height"] == H
        import time

        deadline = time.monotonic() + 3
        while (frame := cam.slot.get()) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert frame is not None and frame.image.shape == (H, W, 3)
        assert cam.describe()["requested"] == {"width": 1280, "height": 720, "fps": 30}
    finally:
        cam.stop()


# A camera that freezes or vanishes: tests/media/test_camera_watchdog.py and test_camera_modes.py.

def test_recording_alone_with_remux_to_mp4(tmp_path):
    studio = Studio(W, H, FPS)
    studio.add_source(TestPatternSource("tp", W, H, FPS))
    studio.add_scene(Scene("s", [Layer("tp")]))
    from seller_studio.media.audio.synthetic import ToneSource

    studio.add_audio(ToneSource("tone"))
    studio.start()
    out = RecordingOutput(tmp_path / "show.mkv", remux_to_mp4=True)
    session = studio.go_live([out], VideoSettings(W, H, FPS, 800), AudioSettings(), duration_s=2.0)
    assert session.wait(10)
    studio.stop()
    assert out.final_path == tmp_path / "show.mp4" and out.stop_reason.is_success
    probe = ffprobe(out.final_path)
    assert probe["format"]["format_name"].startswith("mov,mp4")
    assert stream_of(probe, "video")["codec_name"] == "h264" and stream_of(probe, "audio")["codec_name"] == "aac"
    media = decode_media(out.final_path)
    assert len(media.frame_codes) == 2 * FPS and media.missing_codes() == []


@pytest.mark.rtmp
def test_streaming_alone_and_a_scene_switch_reaches_the_ingest(nginx, tmp_path):
    red = tmp_path / "red.png"
    cv2.imwrite(str(red), np.full((H, W, 3), (0, 0, 255), np.uint8))
    proc = subprocess.run(
        SELLER_STUDIO + ["stream", "--url", nginx.url, "--key-env", "K", "--size", f"{W}x{H}", "--fps", str(FPS),
                         "--camera", "test-pattern", "--camera2", str(red), "--scene", "single",
                         "--switch", "1.5:camera2", "--duration", "3", "--mic", "silence"],
        env={**os.environ, "K": "switch-key"}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    flv = nginx.wait_recording_closed()
    media = decode_media(flv, with_audio=False)
    reds = [r > 200 and g < 60 and b < 60 for r, g, b in media.mean_rgb]
    first_red = reds.index(True)
    # Timers start when the CLI is live; allow for start-up jitter on a busy machine.
    switched_at_s = media.frame_times_s[first_red] - media.frame_times_s[0]
    print(f"\nscene switch asked at 1.5 s, seen at {switched_at_s:.2f} s")
    assert 1.0 <= switched_at_s <= 2.5
    assert all(reds[first_red:])  # stays on the new scene
    assert not any(reds[:first_red])


def test_hardware_encoder_falls_back_to_x264_and_says_so(tmp_path):
    """nvenc/qsv open here without the hardware; the studio must notice and use libx264."""
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--record", str(tmp_path / "hw.mkv"), "--encoder", "auto",
                                           "--size", f"{W}x{H}", "--duration", "1", "--mic", "silence"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "video encoder auto unavailable" in proc.stderr and "using libx264" in proc.stderr
    assert stream_of(ffprobe(tmp_path / "hw.mkv"), "video")["codec_name"] == "h264"


@pytest.mark.rtmp
def test_rtmps_reaches_the_ingest_over_tls(tmp_path):
    from tests.helpers import Nginx

    server = Nginx(tmp_path / "nginx", with_tls=True).start()
    try:
        proc = subprocess.run(SELLER_STUDIO + ["stream", "--url", server.tls_url, "--key-env", "K", "--duration", "2",
                                               "--size", f"{W}x{H}", "--mic", "tone"],
                              env={**os.environ, "K": "tls-key"}, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        flv = server.wait_recording_closed()
    finally:
        server.stop()
    media = decode_media(flv)
    assert len(media.frame_codes) == 2 * FPS and media.missing_codes() == []
