"""Overlay layers fed from outside the media core: an RGBA picture or a line of text.

The product card and the auction countdown are drawn by the show/UI side and handed in with
``set_image`` from any thread; the compositor picks up the newest one on its next tick.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import VideoSource


class ImageOverlaySource(VideoSource):
    kind = "overlay"

    def __init__(self, source_id: str) -> None:
        super().__init__(source_id)
        self._frame: VideoFrame | None = None
        self._lock = threading.Lock()
        self._seq = 0

    def set_image(self, rgba: np.ndarray | None) -> None:
        """Show ``rgba`` (HxWx4 uint8) from the next frame on; None hides the overlay."""
        with self._lock:
            self._seq += 1
            self._frame = None if rgba is None else VideoFrame(rgba, time.monotonic(), self._seq)

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        with self._lock:
            return self._frame


class TextSource(ImageOverlaySource):
    """Plain text on a translucent box (ASCII; richer text is rendered by the UI and set as image)."""

    kind = "text"

    def __init__(self, source_id: str, text: str = "", scale: float = 1.0) -> None:
        super().__init__(source_id)
        self.scale = scale
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.text = text
        if not text:
            self.set_image(None)
            return
        thickness = max(1, int(self.scale * 2))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, self.scale, thickness)
        pad = int(12 * self.scale)
        image = np.zeros((th + base + 2 * pad, tw + 2 * pad, 4), dtype=np.uint8)
        image[:, :] = (0, 0, 0, 160)
        cv2.putText(image, text, (pad, pad + th), cv2.FONT_HERSHEY_SIMPLEX, self.scale, (255, 255, 255, 255),
                    thickness, cv2.LINE_AA)
        self.set_image(image)
