"""A synthetic camera: colour bars with a moving box, a white flash once a second and a frame code.

It is rendered for each canvas tick (no thread; once per tick however many canvases ask), so its
frame numbers are the canvas frame numbers and a receiver can count exactly which frames went
missing. The flash lands on frames whose number is a multiple of the fps, the same instants the tone
source beeps, for A/V sync checks.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from seller_studio.media import framecode
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import VideoSource

BARS = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16), (16, 16, 235)]


class TestPatternSource(VideoSource):
    kind = "test-pattern"
    __test__ = False  # not a pytest class

    def __init__(self, source_id: str, width: int = 1280, height: int = 720, fps: float = 30.0,
                 label: str = "Seller Studio test pattern") -> None:
        super().__init__(source_id)
        self.width, self.height, self.fps = width, height, fps
        self.label = label
        self._background = self._make_background()
        self._flash = np.full((height, width, 3), 255, dtype=np.uint8)
        # The landscape and the vertical canvas tick on one clock and ask for the same frame: it is
        # drawn once (one moment of capture for both) and its I420 conversion is shared too.
        self._last: VideoFrame | None = None

    def _make_background(self) -> np.ndarray:
        w, h = self.width, self.height
        image = np.zeros((h, w, 3), dtype=np.uint8)
        bar_w = w / len(BARS)
        for i, colour in enumerate(BARS):
            image[: int(h * 0.62), int(i * bar_w) : int((i + 1) * bar_w)] = colour
        ramp = np.linspace(0, 255, w, dtype=np.uint8)
        image[int(h * 0.62) : int(h * 0.75)] = ramp[None, :, None]
        image[int(h * 0.75) :] = (24, 24, 32)
        scale = max(0.5, w / 1400)
        cv2.putText(image, self.label, (int(w * 0.03), int(h * 0.93)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (200, 200, 200), max(1, int(scale * 2)), cv2.LINE_AA)
        return image

    def is_flash_frame(self, frame_index: int) -> bool:
        return frame_index % max(1, round(self.fps)) == 0

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
        last = self._last  # one read: another canvas's thread may replace it meanwhile
        if last is not None and last.seq == frame_index:
            return last
        if self.is_flash_frame(frame_index):
            image = self._flash.copy()
        else:
            image = self._background.copy()
            w, h = self.width, self.height
            box = max(8, h // 6)
            span = max(1, w - box)
            x = int((frame_index * (w / (4 * self.fps))) % (2 * span))
            x = x if x < span else 2 * span - x
            y = int(h * 0.35)
            image[y : y + box, x : x + box] = (255, 140, 0)
            scale = max(0.5, w / 1600)
            cv2.putText(image, f"frame {frame_index}", (int(w * 0.03), int(h * 0.84)), cv2.FONT_HERSHEY_SIMPLEX,
                        scale, (255, 255, 255), max(1, int(scale * 2)), cv2.LINE_AA)
        framecode.burn(image, framecode.FrameCode(frame_index, framecode.wall_ms_now()))
        frame = VideoFrame(image, time.monotonic(), frame_index)
        self._last = frame
        return frame

    def describe(self) -> dict:
        return {**super().describe(), "width": self.width, "height": self.height, "fps": self.fps}
