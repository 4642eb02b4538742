"""A still image (PNG with transparency keeps its alpha)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2

from seller_studio.common.errors import BadMediaFileError
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import VideoSource


class ImageSource(VideoSource):
    kind = "image"

    def __init__(self, source_id: str, path: str | Path) -> None:
        super().__init__(source_id)
        self.path = Path(path)
        image = cv2.imread(str(self.path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise BadMediaFileError(tr_noop('cannot read image {path}: missing or not an image').format(path=self.path))
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
        else:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        self._frame = VideoFrame(image, time.monotonic())

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame:
        return self._frame

    def describe(self) -> dict:
        w, h = self._frame.size
        return {**super().describe(), "path": str(self.path), "width": w, "height": h}
