"""A camera through OpenCV's VideoCapture, on its own named thread.

The device is opened with the requested size and fps and the studio reports what it really
delivers. When the device stops delivering (unplugged, driver hiccup) the thread releases it and
tries to reopen it every ``reopen_interval_s``; the compositor shows a "camera lost" slate meanwhile.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import cv2

from seller_studio.common.errors import DeviceNotFoundError
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import SourceState, ThreadedSource

log = logging.getLogger(__name__)


def list_cameras(max_index: int = 8) -> list[dict[str, Any]]:
    """Cameras this machine has: index, name, and the size OpenCV opens them at."""
    found = []
    if sys.platform.startswith("linux"):
        for node in sorted(Path("/sys/class/video4linux").glob("video*")):
            index = int(node.name.removeprefix("video"))
            name = (node / "name").read_text().strip() if (node / "name").exists() else node.name
            found.append({"index": index, "name": name, "path": f"/dev/{node.name}"})
        return found
    for index in range(max_index):  # other platforms have no cheap listing: probe a few indices
        cap = cv2.VideoCapture(index)
        if cap.isOpened():
            found.append({"index": index, "name": f"Camera {index}", "path": str(index)})
        cap.release()
    return found


def resolve_camera(spec: str | int) -> str | int:
    """A device index, a device name (as listed), or a path/URL OpenCV can open."""
    if isinstance(spec, int) or str(spec).isdigit():
        return int(spec)
    spec = str(spec)
    for cam in list_cameras():
        if cam["name"].lower() == spec.lower():
            return cam["index"]
    if Path(spec).exists() or "://" in spec:
        return spec
    names = ", ".join(c["name"] for c in list_cameras()) or "none found"
    raise DeviceNotFoundError(f"camera '{spec}' not found (cameras here: {names})")


class CameraSource(ThreadedSource):
    kind = "camera"
    reopen_interval_s = 1.0

    def __init__(self, source_id: str, device: str | int, width: int = 1280, height: int = 720,
                 fps: float = 30.0) -> None:
        super().__init__(source_id)
        self.device = resolve_camera(device)
        self.requested = (width, height, fps)
        self.delivered: dict[str, Any] = {}
        self._cap: cv2.VideoCapture | None = None

    def _open(self) -> cv2.VideoCapture | None:
        if isinstance(self.device, int) and sys.platform.startswith("linux"):
            cap = cv2.VideoCapture(self.device, cv2.CAP_V4L2)
        else:
            cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            cap.release()
            return None
        width, height, fps = self.requested
        if isinstance(self.device, int):  # files and URLs deliver what they contain
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            cap.set(cv2.CAP_PROP_FPS, fps)
        self.delivered = {
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
        }
        return cap

    def start(self) -> None:
        """Open the device now so a missing camera is a clear error, then capture on a thread."""
        self._cap = self._open()
        if self._cap is None:
            raise DeviceNotFoundError(f"camera {self.device!r} could not be opened")
        width, height, fps = self.requested
        log.info("camera %s: asked %dx%d@%g, device delivers %dx%d@%g", self.device, width, height, fps,
                 self.delivered["width"], self.delivered["height"], self.delivered["fps"])
        super().start()

    def _run(self) -> None:
        seq = 0
        # Files opened as cameras (tests, support reproductions) are paced to their own fps.
        pace_s = 1.0 / self.delivered["fps"] if not isinstance(self.device, int) and self.delivered.get("fps") else 0.0
        next_due = time.monotonic()
        while not self._stop.is_set():
            cap = self._cap
            ok, bgr = (cap.read() if cap is not None else (False, None))
            if not ok or bgr is None:
                if cap is not None:
                    cap.release()
                    self._cap = None
                    log.warning("camera %s stopped delivering; will try to reopen", self.device)
                if self._stop.wait(self.reopen_interval_s):
                    break
                self._cap = self._open()
                if self._cap is not None:
                    log.info("camera %s reopened", self.device)
                    next_due = time.monotonic()
                continue
            seq += 1
            self.slot.put(VideoFrame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), time.monotonic(), seq))
            if pace_s:
                next_due += pace_s
                delay = next_due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def describe(self) -> dict[str, Any]:
        w, h, fps = self.requested
        return {**super().describe(), "device": self.device, "requested": {"width": w, "height": h, "fps": fps},
                "delivered": self.delivered, "lost": self.state == SourceState.LOST}
