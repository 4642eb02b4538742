"""Scenes of layers, composed onto a W x H canvas on a fixed monotonic clock.

A picture is never distorted unless asked: each layer has a scale mode — fill (crop to cover the
layer's rect; the default for opaque pictures such as cameras), fit (letterbox inside the rect; the
default for pictures with alpha such as titles and logos) or stretch (only when chosen).

Frame N is due at ``t0 + N / fps`` whether or not any source delivered: a late source repeats its
last frame. If the compositor itself falls behind (CPU starved) it catches up a short hiccup and
beyond half a second skips the missed ticks, counting them as render lag, so the output timeline
stays equal to wall time.

Studio Mode: ``preview_scene`` names a scene the seller prepares while another is on air; the clock
thread renders it too (every other frame, into ``preview_frame()``), never onto the program. A
switch can fade (``set_scene(name, fade_ms=...)``, ``transitions.Fade``) instead of cutting: both
scenes are composed live while the one going off air dissolves into the new one.

Pixel formats (issue 16): when any picture of a frame is YUV (a camera, a video file) the frame is
composed in planar I420, the encoder's own format: YUV sources are cropped and scaled plane by
plane, RGB/RGBA pictures (titles, cards, images) are converted once per change (cached while the
picture repeats) and blended on the planes with premultiplied alpha. One full-canvas source of the
canvas's size is handed on untouched (a decoder's frame reaches the encoder without a copy). Frames
made only of RGB pictures (the test pattern) are composed in RGB as before. ``render`` and the
previews give RGB (converted on demand); a sink started with ``pictures=True`` gets the
``VideoFrame`` as composed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import cv2
import numpy as np

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import VideoFrame, i420_planes
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.supervision import report_crash
from seller_studio.media.transitions import Fade, blend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Crop:
    """Pixels cut from each edge of the source before scaling."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0


class ScaleMode(StrEnum):
    FILL = "fill"  # scale to cover the rect, cropping the overflow evenly (no bars, no distortion)
    FIT = "fit"  # scale to fit inside the rect, centred (bars show what is below)
    STRETCH = "stretch"  # scale each axis to the rect (distorts unless the shapes match)


@dataclass
class Layer:
    source_id: str
    rect: Rect | None = None  # None: the whole canvas
    crop: Crop = field(default_factory=Crop)
    z: int = 0
    is_visible: bool = True
    scale_mode: ScaleMode | None = None  # None: fill for opaque pictures, fit for pictures with alpha

    def effective_scale_mode(self, image: np.ndarray) -> ScaleMode:
        if self.scale_mode is not None:
            return ScaleMode(self.scale_mode)
        return ScaleMode.FIT if image.ndim == 3 and image.shape[2] == 4 else ScaleMode.FILL


def place(width: int, height: int, rect: Rect, mode: ScaleMode) -> tuple[Rect, Rect]:
    """Where a ``width`` x ``height`` picture goes for ``mode``: (the part of the picture used, the part
    of the rect it covers), both in pixels."""
    if mode == ScaleMode.STRETCH or width <= 0 or height <= 0 or rect.w <= 0 or rect.h <= 0:
        return Rect(0, 0, width, height), rect
    if mode == ScaleMode.FILL:
        if width * rect.h > height * rect.w:  # the picture is wider than the rect: cut the sides
            used_w = max(1, round(height * rect.w / rect.h))
            return Rect((width - used_w) // 2, 0, used_w, height), rect
        used_h = max(1, round(width * rect.h / rect.w))
        return Rect(0, (height - used_h) // 2, width, used_h), rect
    scale = min(rect.w / width, rect.h / height)
    out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
    return Rect(0, 0, width, height), Rect(rect.x + (rect.w - out_w) // 2, rect.y + (rect.h - out_h) // 2, out_w, out_h)


@dataclass
class Scene:
    name: str
    layers: list[Layer] = field(default_factory=list)

    def ordered(self) -> list[Layer]:
        return sorted((layer for layer in self.layers if layer.is_visible), key=lambda layer: layer.z)


def picture_in_picture(name: str, main_id: str, inset_id: str, width: int, height: int) -> Scene:
    """The main source full screen, the inset in a corner: bottom-right at a quarter of the width on a
    landscape canvas; on a vertical (phone) canvas a 3:4 inset top-left under the app's header, where
    neither the comments (bottom) nor the action buttons (right) cover it."""
    if height > width:
        inset_w = round(width * 0.36)
        inset_h = round(inset_w * 4 / 3)
        inset = Rect(round(width * 0.04), round(height * 0.13), inset_w, inset_h)
    else:
        inset_w, inset_h = width // 4, height // 4
        margin = max(8, width // 64)
        inset = Rect(width - inset_w - margin, height - inset_h - margin, inset_w, inset_h)
    return Scene(name, [Layer(main_id, None, z=0), Layer(inset_id, inset, z=1)])


def side_by_side(name: str, left_id: str, right_id: str, width: int, height: int) -> Scene:
    """Two sources sharing the canvas: left and right on a landscape canvas, stacked top and bottom on
    a vertical one (face cam above, product cam below). Each fills its half (cropped, not squashed)."""
    if height > width:
        half = height // 2
        return Scene(name, [Layer(left_id, Rect(0, 0, width, half), z=0),
                            Layer(right_id, Rect(0, half, width, height - half), z=0)])
    half = width // 2
    return Scene(name, [Layer(left_id, Rect(0, 0, half, height), z=0),
                        Layer(right_id, Rect(half, 0, width - half, height), z=0)])


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale a picture smoothly and fast: a big shrink first averages whole k x k blocks (OpenCV's fast
    integer area path), then a linear step of less than 2x; about 5x cheaper than one area resize to
    an odd size (a 720p camera into a 480x270 inset: 0.6 ms instead of 3.4 ms)."""
    h, w = image.shape[:2]
    k = int(min(w / width, h / height))
    if k >= 2:
        image = cv2.resize(image[: h // k * k, : w // k * k], (w // k, h // k), interpolation=cv2.INTER_AREA)
        if image.shape[1] == width and image.shape[0] == height:
            return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


FrameSink = Callable[[int, np.ndarray], None]  # or (int, VideoFrame) with ``start(..., pictures=True)``


def _even_span(start: int, length: int) -> tuple[int, int]:
    """The smallest even-aligned span covering ``start .. start + length``: (start, length), both even."""
    lo = start // 2 * 2
    hi = -(-(start + length) // 2) * 2
    return lo, max(2, hi - lo)


@dataclass
class _Patch:
    """A layer ready for an I420 canvas: its planes and where they go, in luma and in chroma pixels.
    With alpha the planes are premultiplied and ``inv_alpha`` holds 255 - alpha at luma and at chroma
    size."""

    luma_xy: tuple[int, int]
    chroma_xy: tuple[int, int]
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    inv_alpha: tuple[np.ndarray, np.ndarray] | None = None


def _patch_from_rgb(image: np.ndarray, dest: Rect) -> _Patch:
    """An RGB/RGBA picture already scaled to ``dest`` as an I420 patch (converted once; cached by the
    caller). Edges on odd pixels are padded with transparent copies of the edge."""
    x0, w = _even_span(dest.x, dest.w)
    y0, h = _even_span(dest.y, dest.h)
    pad_l, pad_t = dest.x - x0, dest.y - y0
    pad_r, pad_b = w - dest.w - pad_l, h - dest.h - pad_t
    has_alpha = image.shape[2] == 4
    if not has_alpha and not (pad_l or pad_t or pad_r or pad_b):
        planar = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420)
        return _Patch((x0, y0), (x0 // 2, y0 // 2), i420_planes(planar, w, h))
    rgba = image if has_alpha else np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    if pad_l or pad_t or pad_r or pad_b:
        rgba = cv2.copyMakeBorder(rgba, pad_t, pad_b, pad_l, pad_r, cv2.BORDER_REPLICATE)
        rgba[:pad_t, :, 3] = 0
        rgba[h - pad_b:, :, 3] = 0
        rgba[:, :pad_l, 3] = 0
        rgba[:, w - pad_r:, 3] = 0
    alpha = np.ascontiguousarray(rgba[:, :, 3])
    planar = cv2.cvtColor(np.ascontiguousarray(rgba[:, :, :3]), cv2.COLOR_RGB2YUV_I420)
    y, u, v = i420_planes(planar, w, h)
    if int(alpha.min()) == 255:
        return _Patch((x0, y0), (x0 // 2, y0 // 2), (y, u, v))
    alpha_c = cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    scale = 1.0 / 255
    planes = (cv2.multiply(y, alpha, scale=scale), cv2.multiply(u, alpha_c, scale=scale),
              cv2.multiply(v, alpha_c, scale=scale))
    return _Patch((x0, y0), (x0 // 2, y0 // 2), planes, (255 - alpha, 255 - alpha_c))


class Compositor:
    def __init__(self, width: int, height: int, fps: float, sources: dict[str, VideoSource] | None = None,
                 scenes: list[Scene] | None = None) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.sources: dict[str, VideoSource] = dict(sources or {})
        self.scenes: dict[str, Scene] = {s.name: s for s in scenes or []}
        self.overlays: list[Layer] = []  # drawn above every scene (product card, countdown)
        self._active = next(iter(self.scenes), "")
        self._pending_scene: str | None = None
        self._pending_fade: Fade | None = None
        self._fade: Fade | None = None  # the dissolve on the program, while it runs
        self.preview_scene: str | None = None  # Studio Mode: the scene being prepared, off air
        self._preview_frame: tuple[int, VideoFrame] | None = None
        self._lock = threading.Lock()
        self._scale_cache: dict[tuple, tuple] = {}  # (key) -> (the frame's data, the scaled picture, ...)
        self._black_i420: np.ndarray | None = None
        self.events = EventEmitter()
        self.frames_rendered = 0
        self.frames_skipped_render_lag = 0
        # Per frame of the clock thread (benchmarks): wall time, and CPU time (what the frame costs
        # whatever else the machine runs).
        self.render_times_s: deque[float] = deque(maxlen=9000)
        self.render_cpu_times_s: deque[float] = deque(maxlen=9000)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_sink_crash_s = -1e9

    # -- scene control (any thread) -------------------------------------------------------
    @property
    def active_scene(self) -> str:
        return self._pending_scene or self._active

    def add_scene(self, scene: Scene) -> None:
        with self._lock:
            self.scenes[scene.name] = scene
            self._active = self._active or scene.name

    def set_scene(self, name: str, fade_ms: int = 0) -> None:
        """Switch the program to a scene on the next frame: a cut, or with ``fade_ms`` a dissolve from
        the scene on air (ValueError for a duration out of range)."""
        if name not in self.scenes:
            raise KeyError(f"no scene named {name!r}")
        with self._lock:
            current = self._pending_scene or self._active
            self._pending_fade = (Fade.for_duration(current, name, fade_ms, self.fps)
                                  if fade_ms and current != name else None)
            self._pending_scene = name

    @property
    def is_fading(self) -> bool:
        return self._fade is not None or self._pending_fade is not None

    def set_preview_scene(self, name: str | None) -> None:
        """Studio Mode's preview (None: Studio Mode off, nothing extra is rendered)."""
        if name is not None and name not in self.scenes:
            raise KeyError(f"no scene named {name!r}")
        with self._lock:
            self.preview_scene = name
            self._preview_frame = None

    def preview_frame(self) -> tuple[int, np.ndarray] | None:
        """The newest frame of the preview scene (index, RGB), or None when Studio Mode is off."""
        latest = self.preview_picture()
        return None if latest is None else (latest[0], latest[1].image)

    def preview_picture(self) -> tuple[int, VideoFrame] | None:
        """The newest frame of the preview scene as composed (a preview scales it before any RGB)."""
        with self._lock:
            return self._preview_frame

    def rename_scene(self, old: str, new: str) -> None:
        """Rename a scene in place (its position in the scene bar stays); any thread."""
        new = new.strip()
        if not new:
            raise ValueError(tr_noop("a scene needs a name"))
        with self._lock:
            if old not in self.scenes:
                raise KeyError(f"no scene named {old!r}")
            if new != old and new in self.scenes:
                raise ValueError(tr_noop("a scene named '{name}' already exists").format(name=new))
            self.scenes = {(new if name == old else name): scene for name, scene in self.scenes.items()}
            self.scenes[new].name = new
            if self._active == old:
                self._active = new
            if self._pending_scene == old:
                self._pending_scene = new
            if self.preview_scene == old:
                self.preview_scene = new
            for fade in (self._fade, self._pending_fade):
                if fade is not None:
                    fade.from_scene = new if fade.from_scene == old else fade.from_scene
                    fade.to_scene = new if fade.to_scene == old else fade.to_scene

    def remove_scene(self, name: str) -> str:
        """Remove a scene; returns the scene on the program afterwards. Removing the scene on air
        switches to its right-hand neighbour (else the left) on the next frame. The last scene
        cannot go: there would be nothing to show."""
        with self._lock:
            names = list(self.scenes)
            if name not in self.scenes:
                raise KeyError(f"no scene named {name!r}")
            if len(names) == 1:
                raise ValueError(tr_noop("the last scene cannot be removed"))
            index = names.index(name)
            del self.scenes[name]
            neighbour = names[index + 1] if index + 1 < len(names) else names[index - 1]
            if (self._pending_scene or self._active) == name:
                self._pending_scene = neighbour
                self._pending_fade = None
            if self.preview_scene == name:
                self.preview_scene = neighbour
            return self._pending_scene or self._active

    def add_overlay(self, layer: Layer) -> None:
        with self._lock:
            self.overlays.append(layer)

    def add_layer(self, scene_name: str, layer: Layer) -> int:
        """Append a layer to a scene (any thread); returns its index."""
        with self._lock:
            layers = self.scenes[scene_name].layers
            layers.append(layer)
            return len(layers) - 1

    def remove_layer(self, scene_name: str, index: int) -> Layer:
        with self._lock:
            return self.scenes[scene_name].layers.pop(index)

    def update_layer(self, scene_name: str, index: int, **changes) -> None:
        with self._lock:
            scene = self.scenes[scene_name]
            scene.layers[index] = replace(scene.layers[index], **changes)

    # -- rendering ----------------------------------------------------------------------
    def render(self, frame_index: int, now_s: float) -> np.ndarray:
        """The program frame as RGB: the scene on air (dissolving from the previous one during a fade)."""
        return self.render_picture(frame_index, now_s).image

    def render_picture(self, frame_index: int, now_s: float) -> VideoFrame:
        """The program frame as composed: I420 when a YUV source is in it, else RGB."""
        with self._lock:
            if self._pending_scene is not None:
                if self._pending_scene != self._active:
                    self.events.emit("scene_switched", scene=self._pending_scene, frame_index=frame_index)
                    self._fade = self._pending_fade
                self._active = self._pending_scene
                self._pending_scene = None
                self._pending_fade = None
            layers = self._layers_of(self._active)
            fade = self._fade
            old_layers = self._layers_of(fade.from_scene) if fade is not None else []
        picture = self._compose(layers, frame_index, now_s)
        if fade is not None:
            progress = fade.progress(frame_index)
            if progress >= 1.0:
                with self._lock:
                    if self._fade is fade:
                        self._fade = None
            else:
                # Both scenes stay live while one dissolves into the other (a camera going off air keeps
                # moving, as in any broadcaster): two compositions a frame, for the fade's few frames.
                # Each composition is a fresh array (or a source's own frame), so neither overwrites the other.
                old = self._compose(old_layers, frame_index, now_s)
                if picture.is_yuv:
                    picture = VideoFrame.from_i420(blend(old.i420, picture.i420, progress), self.width,
                                                   self.height, now_s, frame_index)
                else:
                    picture = VideoFrame(blend(old.image[:, :, :3], picture.image[:, :, :3], progress), now_s,
                                         frame_index)
        return picture

    def render_scene(self, name: str, frame_index: int, now_s: float) -> np.ndarray:
        """Any scene as it would look on the program (Studio Mode's preview), RGB; the program is untouched."""
        return self.render_scene_picture(name, frame_index, now_s).image

    def render_scene_picture(self, name: str, frame_index: int, now_s: float) -> VideoFrame:
        with self._lock:
            layers = self._layers_of(name)
        return self._compose(layers, frame_index, now_s)

    def _layers_of(self, scene_name: str) -> list[Layer]:
        """The visible layers of a scene, bottom first, with the overlays on top (under the lock)."""
        scene = self.scenes.get(scene_name)
        return (scene.ordered() if scene else []) + [o for o in self.overlays if o.is_visible]

    def _compose(self, layers: list[Layer], frame_index: int, now_s: float) -> VideoFrame:
        frames: list[tuple[Layer, VideoFrame]] = []
        for layer in layers:
            source = self.sources.get(layer.source_id)
            frame = source.frame_at(frame_index, now_s) if source is not None else None
            if frame is not None:
                frames.append((layer, frame))
        # Fast path: a single full-canvas picture of the right size needs no copy at all.
        if len(frames) == 1:
            layer, frame = frames[0]
            if (layer.rect is None and layer.crop == Crop() and not frame.has_alpha
                    and frame.size == (self.width, self.height)):
                return frame
        if any(frame.is_yuv for _, frame in frames):
            return VideoFrame.from_i420(self._compose_i420(frames), self.width, self.height, now_s, frame_index)
        # The bottom layer usually covers the canvas (a camera filling it): then nothing needs clearing.
        covered = False
        if frames:
            layer, frame = frames[0]
            rect = layer.rect or Rect(0, 0, self.width, self.height)
            if not frame.has_alpha and rect.w > 0 and rect.h > 0:
                _, dest = self._scaled(layer, frame, rect)
                covered = dest.x <= 0 and dest.y <= 0 and dest.x + dest.w >= self.width and dest.y + dest.h >= self.height
        canvas = (np.empty if covered else np.zeros)((self.height, self.width, 3), dtype=np.uint8)
        for layer, frame in frames:
            self._draw(canvas, layer, frame)
        return VideoFrame(canvas, now_s, frame_index)

    def _draw(self, canvas: np.ndarray, layer: Layer, frame: VideoFrame) -> None:
        rect = layer.rect or Rect(0, 0, self.width, self.height)
        if rect.w <= 0 or rect.h <= 0:
            return
        scaled, dest = self._scaled(layer, frame, rect)
        # Clip to the canvas: layers may be dragged partly off screen.
        x0, y0 = max(dest.x, 0), max(dest.y, 0)
        x1, y1 = min(dest.x + dest.w, self.width), min(dest.y + dest.h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        part = scaled[y0 - dest.y : y1 - dest.y, x0 - dest.x : x1 - dest.x]
        target = canvas[y0:y1, x0:x1]
        if part.shape[2] == 4:
            alpha = part[:, :, 3:4].astype(np.uint16)
            target[:] = ((part[:, :, :3].astype(np.uint16) * alpha + target.astype(np.uint16) * (255 - alpha))
                         // 255).astype(np.uint8)
        else:
            target[:] = part

    @staticmethod
    def _mode_for(layer: Layer, frame: VideoFrame) -> ScaleMode:
        if layer.scale_mode is not None:
            return ScaleMode(layer.scale_mode)
        return ScaleMode.FIT if frame.has_alpha else ScaleMode.FILL

    def _scaled(self, layer: Layer, frame: VideoFrame, rect: Rect) -> tuple[np.ndarray, Rect]:
        """Crop and scale a source picture (RGB/RGBA) for its rect and scale mode; returns the picture
        and where it goes. The result is reused while the frame repeats."""
        native = frame.native
        mode = self._mode_for(layer, frame)
        key = (layer.source_id, rect, layer.crop, mode)
        cached = self._scale_cache.get(key)
        if cached is not None and cached[0] is native:
            return cached[1], cached[2]
        image = frame.image
        c = layer.crop
        h, w = image.shape[:2]
        image = image[min(c.top, h - 1) : max(h - c.bottom, c.top + 1), min(c.left, w - 1) : max(w - c.right, c.left + 1)]
        used, dest = place(image.shape[1], image.shape[0], rect, mode)
        image = image[used.y : used.y + used.h, used.x : used.x + used.w]
        if image.shape[1] != dest.w or image.shape[0] != dest.h:
            image = resize(image, dest.w, dest.h)
        if len(self._scale_cache) >= 64:  # rects left behind by a drag or a resize: start afresh
            self._scale_cache.clear()
        self._scale_cache[key] = (native, image, dest)
        return image, dest

    # -- I420 composition ------------------------------------------------------------------
    def _compose_i420(self, frames: list[tuple[Layer, VideoFrame]]) -> np.ndarray:
        w, h = self.width, self.height
        patches = [p for layer, frame in frames if (p := self._patch(layer, frame)) is not None]
        covered = False
        if patches and patches[0].inv_alpha is None:
            (x, y), (ph, pw) = patches[0].luma_xy, patches[0].planes[0].shape
            covered = x <= 0 and y <= 0 and x + pw >= w and y + ph >= h
        if covered:
            canvas = np.empty((h * 3 // 2, w), np.uint8)
        else:
            if self._black_i420 is None or self._black_i420.shape != (h * 3 // 2, w):
                black = np.empty((h * 3 // 2, w), np.uint8)
                black.reshape(-1)[: w * h] = 16  # BT.601 limited-range black: Y 16, U = V = 128
                black.reshape(-1)[w * h :] = 128
                self._black_i420 = black
            canvas = self._black_i420.copy()
        planes = i420_planes(canvas, w, h)
        for patch in patches:
            self._draw_patch(planes, patch)
        return canvas

    @staticmethod
    def _draw_patch(planes: tuple[np.ndarray, np.ndarray, np.ndarray], patch: _Patch) -> None:
        for n, (target_plane, part) in enumerate(zip(planes, patch.planes, strict=True)):
            ox, oy = patch.luma_xy if n == 0 else patch.chroma_xy
            # Clip to the canvas: layers may be dragged partly off screen.
            x0, y0 = max(ox, 0), max(oy, 0)
            x1, y1 = min(ox + part.shape[1], target_plane.shape[1]), min(oy + part.shape[0], target_plane.shape[0])
            if x0 >= x1 or y0 >= y1:
                continue
            target = target_plane[y0:y1, x0:x1]
            cut = (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))
            if patch.inv_alpha is None:
                target[:] = part[cut]
            else:
                inv = patch.inv_alpha[0 if n == 0 else 1][cut]
                # premultiplied: out = picture x alpha (stored) + canvas x (255 - alpha) / 255, in place
                # on the canvas (no temporary planes)
                cv2.multiply(target, inv, dst=target, scale=1.0 / 255)
                cv2.add(target, part[cut], dst=target)

    def _patch(self, layer: Layer, frame: VideoFrame) -> _Patch | None:
        """A layer's picture as an I420 patch: YUV sources cropped and scaled plane by plane, RGB(A)
        pictures scaled and converted once; reused while the frame repeats."""
        rect = layer.rect or Rect(0, 0, self.width, self.height)
        if rect.w <= 0 or rect.h <= 0:
            return None
        native = frame.native
        mode = self._mode_for(layer, frame)
        key = ("i420", layer.source_id, rect, layer.crop, mode)
        cached = self._scale_cache.get(key)
        if cached is not None and cached[0] is native:
            return cached[1]
        if frame.is_yuv:
            patch = self._yuv_patch(frame, layer.crop, rect, mode)
        else:
            patch = _patch_from_rgb(*self._scaled(layer, frame, rect))
        self._scale_cache[key] = (native, patch, None)
        return patch

    @staticmethod
    def _yuv_patch(frame: VideoFrame, c: Crop, rect: Rect, mode: ScaleMode) -> _Patch:
        """Crop and scale a YUV picture plane by plane: luma exactly where the RGB path puts it,
        chroma on the chroma pixels that cover it."""
        w, h = frame.width, frame.height
        left, top = min(c.left, w - 1), min(c.top, h - 1)
        crop_w, crop_h = max(1, w - c.right - left), max(1, h - c.bottom - top)
        used, dest = place(crop_w, crop_h, rect, mode)
        x, y = left + used.x, top + used.y
        y_plane, u_plane, v_plane = frame.planes()
        luma = y_plane[y : y + used.h, x : x + used.w]
        if luma.shape != (dest.h, dest.w):
            luma = resize(luma, dest.w, dest.h)
        cx0, cx1 = dest.x // 2, -(-(dest.x + dest.w) // 2)
        cy0, cy1 = dest.y // 2, -(-(dest.y + dest.h) // 2)
        chroma = []
        for plane in (u_plane, v_plane):
            part = plane[y // 2 : -(-(y + used.h) // 2), x // 2 : -(-(x + used.w) // 2)]
            if part.shape != (cy1 - cy0, cx1 - cx0):
                part = resize(part, cx1 - cx0, cy1 - cy0)
            chroma.append(part)
        return _Patch((dest.x, dest.y), (cx0, cy0), (luma, chroma[0], chroma[1]))

    # -- the clock thread -------------------------------------------------------------------
    def start(self, sink: FrameSink, max_frames: int | None = None, start_s: float | None = None,
              first_index: int = 0, pictures: bool = False) -> None:
        """Render frames on time on a thread named "compositor" and hand each to ``sink``: an RGB array,
        or with ``pictures`` the ``VideoFrame`` as composed (I420 from YUV sources: no conversion). A
        second canvas joins a running one's clock with its ``start_s`` and the frame due now as
        ``first_index``."""
        self._stop.clear()
        self.start_s = time.monotonic() if start_s is None else start_s
        self._thread = threading.Thread(target=self._run, args=(sink, max_frames, first_index, pictures),
                                        name="compositor",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout_s)

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self, sink: FrameSink, max_frames: int | None, first_index: int = 0, pictures: bool = False) -> None:
        period = 1.0 / self.fps
        # A short hiccup (a GC pause, an encoder opening) is caught up by rendering back to back;
        # only when further behind than this are ticks skipped and counted as render lag.
        catch_up_frames = max(2, round(self.fps / 2))
        index = first_index
        while not self._stop.is_set() and (max_frames is None or index < max_frames):
            due = self.start_s + index * period
            delay = due - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    break
            elif -delay > catch_up_frames * period:
                behind = int(-delay / period)
                if max_frames is not None:
                    behind = min(behind, max_frames - index - 1)
                if behind > 0:
                    self.frames_skipped_render_lag += behind
                    index += behind
                    continue
            try:
                started, started_cpu = time.perf_counter(), time.thread_time()
                picture = self.render_picture(index, time.monotonic())
                image = picture if pictures else picture.image
                self.render_times_s.append(time.perf_counter() - started)
                self.render_cpu_times_s.append(time.thread_time() - started_cpu)
            except Exception:
                log.exception("render failed at frame %d", index)
                black = np.zeros((self.height, self.width, 3), dtype=np.uint8)
                image = VideoFrame(black, time.monotonic(), index) if pictures else black
            self.frames_rendered += 1
            preview = self.preview_scene
            if preview is not None and index % 2 == 0:  # Studio Mode: half rate is plenty to edit by
                try:
                    preview_image = self.render_scene_picture(preview, index, time.monotonic())
                    with self._lock:
                        if self.preview_scene == preview:
                            self._preview_frame = (index, preview_image)
                except Exception:  # the preview never costs the program a frame
                    log.exception("preview render failed at frame %d", index)
            try:
                sink(index, image)
            except Exception as exc:  # supervised: the clock keeps running (preview and program)
                if time.monotonic() - self._last_sink_crash_s > 5.0:  # report, but not 30 times a second
                    self._last_sink_crash_s = time.monotonic()
                    report_crash("compositor", exc)
                    self.events.emit("thread_crashed", part="compositor", thread="compositor",
                                     error=f"{type(exc).__name__}: {exc}", restarted_in_ms=0.0)
            index += 1
        self.events.emit("compositor_stopped", frames=index)
