"""Issue 16: frames stay YUV from a file or camera to the encoder, and the pictures do not change.

- one full-canvas source of the canvas's size: the frame handed to the encoder is the decoded frame
  (max per-sample difference <= 1, no colour or position shift);
- overlays, picture-in-picture and scaling composed on the I420 planes against the RGB path, in what
  the encoder receives: PSNR >= 40 dB;
- the preview scales from the same frames; start-up imports only what a command needs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from seller_studio.media.compositor import Compositor, Layer, Rect, Scene
from seller_studio.media.encoders.base import VideoSettings, template_container
from seller_studio.media.encoders.h264 import H264Encoder
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.camera import camera_frame
from seller_studio.media.sources.video_file import VideoFileSource


class StillSource(VideoSource):
    kind = "still"

    def __init__(self, source_id: str, frame: VideoFrame) -> None:
        super().__init__(source_id)
        self.frame = frame

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
        return self.frame


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("yuv") / "testsrc2.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "1",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]


def encoder(width: int, height: int) -> H264Encoder:
    enc = H264Encoder(template_container(), "x264", VideoSettings(width, height, 30, 800))
    enc.open()
    return enc


def scene_picture(width: int, height: int) -> np.ndarray:
    """A smooth camera-like RGB picture with some detail (a ramp, rings and text)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.dstack([(xx * 255 // width), (yy * 255 // height), ((xx + yy) // 6) % 256]).astype(np.uint8)
    cv2.circle(rgb, (width // 2, height // 2), height // 3, (250, 240, 30), 6)
    cv2.putText(rgb, "Lot 12", (width // 10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, height / 200, (20, 20, 200),
                max(1, height // 150), cv2.LINE_AA)
    return cv2.GaussianBlur(rgb, (3, 3), 0.8)


def overlays(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    title = np.zeros((height // 9, width * 2 // 5, 4), np.uint8)
    title[:] = (0, 0, 0, 160)
    cv2.putText(title, "Vintage cards", (12, title.shape[0] * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX, height / 500,
                (255, 255, 255, 255), 2, cv2.LINE_AA)
    card = np.zeros((round(height * 0.3), round(width * 0.4), 4), np.uint8)
    card[:] = (255, 255, 255, 230)
    cv2.rectangle(card, (10, 10), (card.shape[0] - 10, card.shape[0] - 10), (200, 120, 40, 255), -1)
    cv2.putText(card, "$45", (card.shape[0] + 10, card.shape[0] // 2), cv2.FONT_HERSHEY_SIMPLEX, height / 400,
                (20, 20, 20, 255), 2, cv2.LINE_AA)
    return title, card


def demo_compositor(width: int, height: int, camera: VideoFrame, camera2: VideoFrame, n_overlays: int) -> Compositor:
    """The demo's scene: camera, picture-in-picture of a second camera, a title and a product card."""
    title, card = overlays(width, height)
    comp = Compositor(width, height, 30)
    for source in (StillSource("camera", camera), StillSource("camera2", camera2),
                   StillSource("title", VideoFrame(title, 0.0)), StillSource("card", VideoFrame(card, 0.0))):
        comp.sources[source.id] = source
    inset_w, inset_h, margin = width // 4, height // 4, max(8, width // 64)
    extra = [Layer("camera2", Rect(width - inset_w - margin, height - inset_h - margin, inset_w, inset_h), z=1),
             Layer("title", Rect(width // 40 + 1, width // 40, title.shape[1], title.shape[0]), z=2),  # odd x
             Layer("card", Rect(round(width * 0.02), round(height * 0.66), card.shape[1], card.shape[0]), z=3)]
    comp.add_scene(Scene("demo", [Layer("camera"), *extra[:n_overlays]]))
    return comp


def test_full_canvas_file_frame_reaches_the_encoder_unchanged(clip):
    """The compositor's sink gets the decoded frame itself, and the encoder is handed exactly it."""
    reference = decoded(clip)
    source = VideoFileSource("camera", clip, loop=False)
    comp = Compositor(320, 240, 30, {"camera": source}, [Scene("s", [Layer("camera")])])
    enc = encoder(320, 240)
    handed: list[np.ndarray] = []
    seen: list[VideoFrame] = []

    def sink(index: int, picture: VideoFrame) -> None:
        if not seen and not picture.is_yuv:
            return  # black until the file's first frame is decoded
        if not seen or picture is not seen[-1]:
            seen.append(picture)
            handed.append(enc.input_frame(picture).to_ndarray(format="yuv420p"))

    source.start()
    comp.start(sink, max_frames=45, pictures=True)
    try:
        assert comp.wait(20)
    finally:
        source.stop()
    assert len(handed) >= 5
    assert all(p.is_yuv and p.av_frame is not None for p in seen)  # never turned RGB on the way
    matched = []
    for got in handed:
        diffs = [int(np.abs(got.astype(np.int16) - ref.astype(np.int16)).max()) for ref in reference]
        assert min(diffs) <= 1, "a handed frame matches no decoded frame"
        matched.append(int(np.argmin(diffs)))
    assert matched == sorted(matched) and len(set(matched)) == len(matched)  # in order, each once


def test_decoded_keyframe_types_do_not_force_keyframes(clip):
    """A decoder marks its frames I; the encoder must still follow its own keyframe interval."""
    enc = encoder(320, 240)
    with av.open(str(clip)) as container:
        frames = [VideoFrame.from_av(f, 0.0, i) for i, f in enumerate(container.decode(video=0))]
    packets = []
    for i, frame in enumerate(frames[:20]):
        packets += enc.encode(frame, i, force_keyframe=(i == 12))
    packets += enc.flush()
    keyframes = [p.pts for p in packets if p.is_keyframe]
    assert keyframes == [0, 12]


@pytest.mark.parametrize("n_overlays", [1, 3])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_overlays_on_planes_match_the_rgb_path(size, n_overlays):
    """Picture-in-picture, a title (on an odd pixel) and a card blended on the I420 planes against the
    same scene composed in RGB, compared as the encoder receives them (I420)."""
    width, height = size
    rgb = scene_picture(width, height)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    as_rgb = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)  # the same picture as the RGB path saw it
    yuv_comp = demo_compositor(width, height, VideoFrame.from_i420(yuv, width, height, 0.0),
                               VideoFrame.from_i420(yuv, width, height, 0.0), n_overlays)
    rgb_comp = demo_compositor(width, height, VideoFrame(as_rgb, 0.0), VideoFrame(as_rgb, 0.0), n_overlays)
    planes = yuv_comp.render_picture(0, 0.0)
    assert planes.is_yuv
    enc = encoder(width, height)
    ours = enc.input_frame(planes).to_ndarray(format="yuv420p")
    theirs = enc.input_frame(rgb_comp.render(0, 0.0)).to_ndarray(format="yuv420p")
    value = psnr(ours, theirs)
    print(f"PSNR {width}x{height} with {n_overlays} overlays: {value:.1f} dB (I420 vs the RGB path)")
    assert value >= 40


def test_scaling_a_yuv_camera_matches_the_rgb_path():
    """A 1080p camera on a 720p canvas (and fit into a letterboxed rect) scaled plane by plane."""
    rgb = scene_picture(1920, 1080)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    as_rgb = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)
    for layer in (Layer("camera"), Layer("camera", Rect(100, 60, 800, 600), scale_mode="fit")):
        results = []
        for frame in (VideoFrame.from_i420(yuv, 1920, 1080, 0.0), VideoFrame(as_rgb, 0.0)):
            comp = Compositor(1280, 720, 30, {"camera": StillSource("camera", frame)}, [Scene("s", [layer])])
            results.append(encoder(1280, 720).input_frame(comp.render_picture(0, 0.0)).to_ndarray(format="yuv420p"))
        value = psnr(*results)
        print(f"PSNR 1080p -> 720p {layer.rect}: {value:.1f} dB")
        assert value >= 40


def test_rgb_only_scenes_stay_rgb_and_sinks_get_rgb_unless_asked():
    pattern = np.full((72, 128, 3), (10, 200, 30), np.uint8)
    comp = Compositor(128, 72, 30, {"p": StillSource("p", VideoFrame(pattern, 0.0))},
                      [Scene("s", [Layer("p", Rect(0, 0, 64, 36))])])
    picture = comp.render_picture(0, 0.0)
    assert not picture.is_yuv and tuple(picture.image[5, 5]) == (10, 200, 30)
    yuv = cv2.cvtColor(pattern, cv2.COLOR_RGB2YUV_I420)
    comp.sources["p"] = StillSource("p", VideoFrame.from_i420(yuv, 128, 72, 0.0))
    picture = comp.render_picture(1, 0.0)
    assert picture.is_yuv
    y, u, v = picture.planes()
    assert y[50, 100] == 16 and u[30, 60] == 128 and v[30, 60] == 128  # black where nothing is drawn
    assert np.abs(picture.image[5, 5].astype(int) - (10, 200, 30)).max() <= 3
    got: list = []
    comp.start(lambda index, image: got.append(image), max_frames=2)
    assert comp.wait(5)
    assert all(isinstance(image, np.ndarray) and image.shape == (72, 128, 3) for image in got)


def test_overlay_conversion_is_cached_until_the_overlay_changes():
    yuv = cv2.cvtColor(scene_picture(640, 360), cv2.COLOR_RGB2YUV_I420)
    title, card = overlays(640, 360)
    comp = demo_compositor(640, 360, VideoFrame.from_i420(yuv, 640, 360, 0.0),
                           VideoFrame.from_i420(yuv, 640, 360, 0.0), 3)
    first = comp.render_picture(0, 0.0).i420.copy()
    patches = {k: v[1] for k, v in comp._scale_cache.items() if k[0] == "i420"}
    assert np.array_equal(comp.render_picture(1, 0.0).i420, first)
    assert all(comp._scale_cache[k][1] is v for k, v in patches.items())  # converted once, reused
    comp.sources["card"] = StillSource("card", VideoFrame(np.zeros_like(card), 0.0))  # a new, empty card
    changed = comp.render_picture(2, 0.0).i420
    card_box = (slice(round(360 * 0.66) + 4, round(360 * 0.66) + card.shape[0] - 4),
                slice(round(640 * 0.02) + 4, round(640 * 0.02) + card.shape[1] - 4))
    assert not np.array_equal(changed[:360][card_box], first[:360][card_box])
    assert np.array_equal(changed[:360][card_box], yuv[:360][card_box])  # a transparent card shows the camera


def test_preview_scales_yuv_before_turning_it_rgb():
    rgb = scene_picture(1280, 720)
    frame = VideoFrame.from_i420(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), 1280, 720, 0.0)
    small = frame.scaled_rgb(320, 180)
    assert small.shape == (180, 320, 3)
    assert frame._rgb is None  # no full-size RGB was made
    assert psnr(small, cv2.resize(rgb, (320, 180), interpolation=cv2.INTER_AREA)) >= 30


def test_camera_pictures_are_converted_once_to_i420():
    rgb = scene_picture(640, 480)
    frame = camera_frame(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), time.monotonic(), 1)
    assert frame.is_yuv and frame.size == (640, 480)
    assert psnr(frame.image, rgb) >= 30  # readers of .image still get the RGB picture
    odd = camera_frame(np.zeros((101, 75, 3), np.uint8), time.monotonic(), 2)
    assert not odd.is_yuv and odd.image.shape == (101, 75, 3)


def test_version_and_stream_import_only_what_they_need():
    code = ("import sys; from seller_studio.cli.main import main, build_parser; main(['--version']); "
            "print(sorted(m for m in ('numpy', 'av', 'cv2', 'keyring') if m in sys.modules)); "
            "p = build_parser(['stream', '--help']); "
            "print(sorted(p._subparsers._group_actions[0].choices)); "
            "print('seller_studio.cli.clips_cmd' in sys.modules, 'keyring' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith("seller-studio ")
    assert out[1] == "[]"  # --version: nothing heavy imported
    assert out[2] == "['stream']"  # a command line naming stream registers only stream
    assert out[3] == "False False"


def test_a_short_file_loops_by_seeking_on_time(clip):
    """A 1 s clip played for 2.5 s: frames keep coming at the file's rate across the loop points, the
    container is opened once, and the second pass starts with the first frame again."""
    reference = decoded(clip)
    source = VideoFileSource("camera", clip)
    opened = []
    real_open = av.open

    def counting_open(*args, **kwargs):  # noqa: ANN002, ANN003
        opened.append(args[0])
        return real_open(*args, **kwargs)

    av.open = counting_open
    try:
        source.start()
        seen: list[np.ndarray] = []
        deadline = time.monotonic() + 2.5
        last = None
        while time.monotonic() < deadline:
            frame = source.slot.get()
            if frame is not None and frame is not last:
                last = frame
                seen.append(frame.i420)
            time.sleep(0.005)
    finally:
        source.stop()
        av.open = real_open
    assert len(opened) == 1
    assert 55 <= source.slot.frames_in <= 80  # 30 fps for 2.5 s, on time across the loop
    firsts = [i for i, planes in enumerate(seen) if np.array_equal(planes, reference[0])]
    assert len(firsts) >= 2  # the first frame came back: the second pass


def test_a_short_sound_file_loops_without_a_gap(tmp_path):
    from seller_studio.media.audio.file_source import AudioFileSource

    wav = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=480:sample_rate=48000",
                    "-t", "0.5", "-ac", "2", str(wav)], check=True)
    source = AudioFileSource("mic", wav)
    container = source._container
    samples = np.concatenate([source.read(1600) for _ in range(60)])[:, 0]  # 2 s: four passes
    assert source._container is container  # rewound, not reopened
    assert source._ring.underrun_samples == 0
    step = float(np.abs(np.diff(samples)).max())
    assert step <= 2 * np.pi * 480 / 48000 * float(np.abs(samples).max()) * 1.05  # no click at the seams


def test_no_frame_is_copied_between_decoder_compositor_and_encoder(clip):
    """A decoded camera's planes are read where the decoder left them (a picture-in-picture reads
    them without a copy of the frame), and the composed canvas is handed to the encoder as it is."""
    container = av.open(str(clip))
    decoded_frame = next(container.decode(video=0))
    camera = VideoFrame.from_av(decoded_frame, 0.0)
    y, u, v = camera.planes()
    for view, plane in zip((y, u, v), decoded_frame.planes, strict=True):
        assert np.shares_memory(view, np.frombuffer(plane, np.uint8))
        assert view.shape == (plane.height, plane.width)
    assert np.array_equal(np.vstack([y.reshape(-1, camera.width), u.reshape(-1, camera.width),
                                     v.reshape(-1, camera.width)]),
                          decoded_frame.to_ndarray(format="yuv420p"))
    container.close()

    width, height = camera.width, camera.height
    comp = demo_compositor(width, height, camera, camera, 3)
    canvas = comp.render_picture(0, 0.0)
    assert canvas.is_yuv
    enc = encoder(width, height)
    handed = enc.input_frame(canvas)
    assert np.shares_memory(np.frombuffer(handed.planes[0], np.uint8), canvas.i420)
    assert np.array_equal(handed.to_ndarray(format="yuv420p"), canvas.i420)
    packets = enc.encode(canvas, 0, force_keyframe=True)
    assert packets and packets[0].is_keyframe
