"""A recording stand-in for cv2.VideoCapture on a V4L2 camera, driven by a real camera's mode table.

It answers set/get the way the V4L2 backend does with a UVC camera: the pixel format starts as the
first listed raw format (what OpenCV ends up with when FOURCC is not set), a size snaps to the nearest
size *of the current format*, and the fps snaps to the best rate that size has in that format — so
setting FOURCC after the size gives the wrong mode, as on real hardware. Every call is recorded.
Pictures are synthetic (a moving bar) at the delivered size; ``is_busy`` / ``is_gone`` / ``repeat``
re-create a camera held by another program, an unplugged camera and a driver repeating one buffer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from seller_studio.media.sources.camera_modes import CameraMode, fourcc_code, fourcc_text


@dataclass
class SimDevice:
    modes: list[CameraMode]
    is_busy: bool = False  # opens, but no picture comes (another program streams from it)
    is_gone: bool = False  # unplugged: open fails, reads fail
    repeat: bool = False  # the driver hands out the same buffer again and again
    refuse_fourcc: bool = False  # a driver that ignores CAP_PROP_FOURCC
    is_hung: bool = False  # reads block until this is cleared (a hung driver)
    opens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class SimCapture:
    def __init__(self, device: SimDevice, calls: list[tuple] | None = None) -> None:
        self.device = device
        self.calls: list[tuple] = calls if calls is not None else []
        formats = [m.pixel_format for m in device.modes]
        self.fmt = next((f for f in formats if f not in ("MJPG", "H264")), formats[0])
        first = next(m for m in device.modes if m.pixel_format == self.fmt)
        self.width, self.height, self.fps = first.width, first.height, first.fps
        self.frame_no = 0
        self.is_open = False

    def _sizes(self) -> list[CameraMode]:
        return [m for m in self.device.modes if m.pixel_format == self.fmt]

    def _snap(self, width: int, height: int) -> None:
        best = min(self._sizes(), key=lambda m: abs(m.width - width) + abs(m.height - height))
        self.width, self.height, self.fps = best.width, best.height, best.fps  # a new format resets the rate

    def open(self, device, api) -> bool:
        self.calls.append(("open", device, api))
        with self.device.lock:
            self.device.opens += 1
        self.is_open = not self.device.is_gone
        return self.is_open

    def set(self, prop: int, value: float) -> bool:
        self.calls.append(("set", prop, value))
        if prop == cv2.CAP_PROP_FOURCC:
            code = fourcc_text(value)
            if self.device.refuse_fourcc or code not in {m.pixel_format for m in self.device.modes}:
                return False
            self.fmt = code
            self._snap(self.width, self.height)
            return True
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            self._snap(int(value), self.height)
            return True
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            self._snap(self.width, int(value))
            return True
        if prop == cv2.CAP_PROP_FPS:
            best = max(m.fps for m in self._sizes() if (m.width, m.height) == (self.width, self.height))
            self.fps = min(float(value), best)
            return True
        return False  # properties this camera does not have (e.g. the read timeout)

    def get(self, prop: int) -> float:
        self.calls.append(("get", prop))
        return {cv2.CAP_PROP_FRAME_WIDTH: self.width, cv2.CAP_PROP_FRAME_HEIGHT: self.height,
                cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FOURCC: fourcc_code(self.fmt)}.get(prop, 0.0)

    def read(self):
        self.calls.append(("read",))
        while self.device.is_hung:
            threading.Event().wait(0.01)
        if not self.is_open or self.device.is_gone or self.device.is_busy:
            return False, None
        threading.Event().wait(1.0 / max(1.0, self.fps))
        if not self.device.repeat:
            self.frame_no += 1
        image = np.full((self.height, self.width, 3), 30, np.uint8)
        x = (self.frame_no * 7) % max(1, self.width - 10)
        image[:, x : x + 10] = 220
        return True, image

    def release(self) -> None:
        self.calls.append(("release",))
        self.is_open = False
