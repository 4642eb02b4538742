"""Scenes of layers, composed onto a W x H canvas on a fixed monotonic clock.

Frame N is due at ``t0 + N / fps`` whether or not any source delivered: a late source repeats its
last frame. If the compositor itself falls behind (CPU starved) it catches up a short hiccup and
beyond half a second skips the missed ticks, counting them as render lag, so the output timeline
stays equal to wall time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from seller_studio.common.events import EventEmitter
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import VideoSource

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


@dataclass
class Layer:
    source_id: str
    rect: Rect | None = None  # None: the whole canvas
    crop: Crop = field(default_factory=Crop)
    z: int = 0
    is_visible: bool = True


@dataclass
class Scene:
    name: str
    layers: list[Layer] = field(default_factory=list)

    def ordered(self) -> list[Layer]:
        return sorted((layer for layer in self.layers if layer.is_visible), key=lambda layer: layer.z)


def picture_in_picture(name: str, main_id: str, inset_id: str, width: int, height: int) -> Scene:
    """The main source full screen, the inset in the bottom-right quarter-width corner."""
    inset_w, inset_h = width // 4, height // 4
    margin = max(8, width // 64)
    return Scene(name, [
        Layer(main_id, None, z=0),
        Layer(inset_id, Rect(width - inset_w - margin, height - inset_h - margin, inset_w, inset_h), z=1),
    ])


def side_by_side(name: str, left_id: str, right_id: str, width: int, height: int) -> Scene:
    half = width // 2
    return Scene(name, [Layer(left_id, Rect(0, 0, half, height), z=0),
                        Layer(right_id, Rect(half, 0, width - half, height), z=0)])


FrameSink = Callable[[int, np.ndarray], None]


class Compositor:
    def __init__(self, width: int, height: int, fps: float, sources: dict[str, VideoSource] | None = None,
                 scenes: list[Scene] | None = None) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.sources: dict[str, VideoSource] = dict(sources or {})
        self.scenes: dict[str, Scene] = {s.name: s for s in scenes or []}
        self.overlays: list[Layer] = []  # drawn above every scene (product card, countdown)
        self._active = next(iter(self.scenes), "")
        self._pending_scene: str | None = None
        self._lock = threading.Lock()
        self._scale_cache: dict[tuple, tuple[int, np.ndarray]] = {}
        self.events = EventEmitter()
        self.frames_rendered = 0
        self.frames_skipped_render_lag = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- scene control (any thread) -------------------------------------------------------
    @property
    def active_scene(self) -> str:
        return self._pending_scene or self._active

    def add_scene(self, scene: Scene) -> None:
        with self._lock:
            self.scenes[scene.name] = scene
            self._active = self._active or scene.name

    def set_scene(self, name: str) -> None:
        """Switch scenes; it takes effect on the next frame."""
        if name not in self.scenes:
            raise KeyError(f"no scene named {name!r}")
        with self._lock:
            self._pending_scene = name

    def rename_scene(self, old: str, new: str) -> None:
        """Rename a scene in place (its position in the scene bar stays); any thread."""
        new = new.strip()
        if not new:
            raise ValueError("a scene needs a name")
        with self._lock:
            if old not in self.scenes:
                raise KeyError(f"no scene named {old!r}")
            if new != old and new in self.scenes:
                raise ValueError(f"a scene named '{new}' already exists")
            self.scenes = {(new if name == old else name): scene for name, scene in self.scenes.items()}
            self.scenes[new].name = new
            if self._active == old:
                self._active = new
            if self._pending_scene == old:
                self._pending_scene = new

    def remove_scene(self, name: str) -> str:
        """Remove a scene; returns the scene on the program afterwards. Removing the scene on air
        switches to its right-hand neighbour (else the left) on the next frame. The last scene
        cannot go: there would be nothing to show."""
        with self._lock:
            names = list(self.scenes)
            if name not in self.scenes:
                raise KeyError(f"no scene named {name!r}")
            if len(names) == 1:
                raise ValueError("the last scene cannot be removed")
            index = names.index(name)
            del self.scenes[name]
            if (self._pending_scene or self._active) == name:
                self._pending_scene = names[index + 1] if index + 1 < len(names) else names[index - 1]
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
        with self._lock:
            if self._pending_scene is not None:
                if self._pending_scene != self._active:
                    self.events.emit("scene_switched", scene=self._pending_scene, frame_index=frame_index)
                self._active = self._pending_scene
                self._pending_scene = None
            scene = self.scenes.get(self._active)
            layers = (scene.ordered() if scene else []) + [o for o in self.overlays if o.is_visible]
        frames: list[tuple[Layer, VideoFrame]] = []
        for layer in layers:
            source = self.sources.get(layer.source_id)
            frame = source.frame_at(frame_index, now_s) if source is not None else None
            if frame is not None:
                frames.append((layer, frame))
        # Fast path: a single full-canvas picture of the right size needs no copy at all.
        if len(frames) == 1:
            layer, frame = frames[0]
            image = frame.image
            if (layer.rect is None and layer.crop == Crop() and image.shape[2] == 3
                    and image.shape[1] == self.width and image.shape[0] == self.height):
                return image
        canvas = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        for layer, frame in frames:
            self._draw(canvas, layer, frame)
        return canvas

    def _draw(self, canvas: np.ndarray, layer: Layer, frame: VideoFrame) -> None:
        rect = layer.rect or Rect(0, 0, self.width, self.height)
        if rect.w <= 0 or rect.h <= 0:
            return
        scaled = self._scaled(layer, frame, rect)
        # Clip to the canvas: layers may be dragged partly off screen.
        x0, y0 = max(rect.x, 0), max(rect.y, 0)
        x1, y1 = min(rect.x + rect.w, self.width), min(rect.y + rect.h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        part = scaled[y0 - rect.y : y1 - rect.y, x0 - rect.x : x1 - rect.x]
        target = canvas[y0:y1, x0:x1]
        if part.shape[2] == 4:
            alpha = part[:, :, 3:4].astype(np.uint16)
            target[:] = ((part[:, :, :3].astype(np.uint16) * alpha + target.astype(np.uint16) * (255 - alpha))
                         // 255).astype(np.uint8)
        else:
            target[:] = part

    def _scaled(self, layer: Layer, frame: VideoFrame, rect: Rect) -> np.ndarray:
        """Crop and scale a source picture into its rect, reusing the result while the frame repeats."""
        key = (layer.source_id, rect, layer.crop)
        cached = self._scale_cache.get(key)
        if cached is not None and cached[0] == id(frame.image):
            return cached[1]
        image = frame.image
        c = layer.crop
        h, w = image.shape[:2]
        image = image[min(c.top, h - 1) : max(h - c.bottom, c.top + 1), min(c.left, w - 1) : max(w - c.right, c.left + 1)]
        if image.shape[1] != rect.w or image.shape[0] != rect.h:
            shrinking = image.shape[1] > rect.w
            image = cv2.resize(image, (rect.w, rect.h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        self._scale_cache[key] = (id(frame.image), image)
        return image

    # -- the clock thread -------------------------------------------------------------------
    def start(self, sink: FrameSink, max_frames: int | None = None, start_s: float | None = None) -> None:
        """Render frames on time on a thread named "compositor" and hand each to ``sink``."""
        self._stop.clear()
        self.start_s = time.monotonic() if start_s is None else start_s
        self._thread = threading.Thread(target=self._run, args=(sink, max_frames), name="compositor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self, sink: FrameSink, max_frames: int | None) -> None:
        period = 1.0 / self.fps
        # A short hiccup (a GC pause, an encoder opening) is caught up by rendering back to back;
        # only when further behind than this are ticks skipped and counted as render lag.
        catch_up_frames = max(2, round(self.fps / 2))
        index = 0
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
                image = self.render(index, time.monotonic())
            except Exception:
                log.exception("render failed at frame %d", index)
                image = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            self.frames_rendered += 1
            sink(index, image)
            index += 1
        self.events.emit("compositor_stopped", frames=index)
