"""The video source interface and the latest-frame slot that capture threads hand frames through."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any, ClassVar

import cv2
import numpy as np

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import VideoFrame


class SourceState(StrEnum):
    STARTING = "starting"
    LIVE = "live"
    LOST = "lost"  # a device stopped delivering; the layer shows a slate until it comes back
    STOPPED = "stopped"


class LatestFrameSlot:
    """Holds only the newest frame: a slow consumer never makes a capture thread wait or queue."""

    def __init__(self) -> None:
        self._frame: VideoFrame | None = None
        self._lock = threading.Lock()
        self.frames_in = 0

    def put(self, frame: VideoFrame) -> None:
        with self._lock:
            self._frame = frame
            self.frames_in += 1

    def get(self) -> VideoFrame | None:
        with self._lock:
            return self._frame


class VideoSource(ABC):
    """A named picture provider. The compositor asks ``frame_at`` once per canvas tick."""

    kind: ClassVar[str]

    def __init__(self, source_id: str) -> None:
        self.id = source_id
        self.events = EventEmitter()
        self._state = SourceState.STARTING

    @property
    def state(self) -> SourceState:
        return self._state

    lost_reason = ""  # why the source is LOST, in plain words (the health row shows it)

    def _set_state(self, state: SourceState, reason: str = "") -> None:
        if state != self._state:
            self._state = state
            self.lost_reason = reason if state == SourceState.LOST else ""
            self.events.emit("source_state", source_id=self.id, state=state.value, reason=reason)

    def start(self) -> None:
        self._set_state(SourceState.LIVE)

    def stop(self) -> None:
        self._set_state(SourceState.STOPPED)

    @abstractmethod
    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        """The picture for canvas tick ``frame_index`` at monotonic time ``now_s``.

        Returns the last frame again when nothing new arrived (a late source repeats), or None
        before the first frame.
        """

    def describe(self) -> dict[str, Any]:
        """What the source really delivers (size, fps), for logs and the devices list."""
        return {"id": self.id, "kind": self.kind, "state": self.state.value}


class ThreadedSource(VideoSource):
    """A source whose frames come from its own named thread through a latest-frame slot.

    A watchdog in ``frame_at`` marks the source LOST when no new frame arrived for
    ``lost_after_s``; the layer then shows a "lost" slate, and LIVE returns with the next frame.
    """

    lost_after_s = 1.0

    def __init__(self, source_id: str) -> None:
        super().__init__(source_id)
        self.slot = LatestFrameSlot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_new_frame_s = time.monotonic()
        self._last_seen_count = 0
        self._slate: VideoFrame | None = None

    def start(self) -> None:
        self._stop.clear()
        self._last_new_frame_s = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"source-{self.kind}-{self.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._set_state(SourceState.STOPPED)

    @abstractmethod
    def _run(self) -> None:
        """Capture loop: put frames into ``self.slot`` until ``self._stop`` is set."""

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        frame = self.slot.get()
        count = self.slot.frames_in
        if count != self._last_seen_count:
            self._last_seen_count = count
            self._last_new_frame_s = now_s
            if self._state != SourceState.STOPPED:
                self._set_state(SourceState.LIVE)
        elif self._state == SourceState.LIVE and now_s - self._last_new_frame_s > self.lost_after_s:
            self._set_state(SourceState.LOST, tr_noop("{kind} stopped delivering frames").format(kind=self.kind))
        if self._state == SourceState.LOST:
            return self._lost_slate(frame)
        return frame

    def _lost_slate(self, last: VideoFrame | None) -> VideoFrame:
        width, height = last.size if last is not None else (1280, 720)
        if self._slate is None or self._slate.size != (width, height):
            self._slate = VideoFrame(make_slate(width, height, f"{self.kind} lost - reconnecting"), time.monotonic())
        return self._slate


def make_slate(width: int, height: int, text: str) -> np.ndarray:
    """A dark picture with a centred message, for lost or missing sources."""
    image = np.full((height, width, 3), (40, 40, 48), dtype=np.uint8)
    scale = max(0.6, width / 900)
    thickness = max(1, int(scale * 2))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    org = ((width - tw) // 2, (height + th) // 2)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thickness, cv2.LINE_AA)
    return image
