"""A camera through OpenCV's VideoCapture: the right mode, its own capture thread, a frozen-camera watchdog.

Opening: the studio picks the camera's mode (``camera_modes.choose_mode``) and sets CAP_PROP_FOURCC
*before* the size and the fps (OpenCV's V4L2 backend otherwise starts in raw YUYV, which gives a USB
webcam 5-10 fps at HD), then reads back what the driver gave and says in one sentence when it is less
than asked. All OpenCV calls go through a thin ``CaptureBoundary`` so tests can record the sequence.

Watchdog: a camera that gives no new picture for ``frozen_after_s`` (a read that blocks, or a driver
that repeats one picture bit for bit) is frozen. The watchdog thread marks it LOST and reopens the
device on its own thread (never the compositor's), backing off from 1 s to 5 s between attempts; the
program keeps the last picture until ``slate_after_s`` and then shows the "camera lost" slate. A
capture thread stuck in a read is abandoned (it exits and releases its device when the read returns).

Pictures: OpenCV's BGR is converted once, straight to the encoder's I420 (``camera_frame``); the
compositor and the encoder then work on it without another conversion.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from seller_studio.common.errors import DeviceNotFoundError
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import SourceState, ThreadedSource
from seller_studio.media.sources.camera_modes import (
    CameraInfo,
    CameraMode,
    ModeChoice,
    choose_mode,
    fourcc_code,
    fourcc_text,
    shortfall_sentence,
)

log = logging.getLogger(__name__)

READ_TIMEOUT_MS = 1000  # OpenCV >= 4.6 V4L2: a read gives up after this instead of blocking ~10 s


class CameraBusyError(DeviceNotFoundError):
    """The camera exists but gives no picture: most often another program holds it."""


class AmbiguousCameraError(DeviceNotFoundError):
    """A camera name matches more than one camera."""


# -- listing ---------------------------------------------------------------------------------------
def camera_infos(with_modes: bool = True) -> list[CameraInfo]:
    """Cameras this machine has: index, name, path and (on Linux) modes."""
    if sys.platform.startswith("linux"):
        from seller_studio.media.sources.v4l2 import list_v4l2_cameras

        return list_v4l2_cameras(with_modes=with_modes)
    return _enumerate_with_package()


def _enumerate_with_package() -> list[CameraInfo]:
    """Windows / macOS names through ``cv2-enumerate-cameras`` (DirectShow / AVFoundation order, so the
    index opens the same camera with that backend). Their drivers give OpenCV no mode list.

    This path has not run on the build machine (Linux, no camera)."""
    backend, api = ("dshow", cv2.CAP_DSHOW) if sys.platform == "win32" else ("avfoundation", cv2.CAP_AVFOUNDATION)
    note = tr_noop("this system does not list camera modes: the studio asks for MJPEG and reports what the camera gives")
    try:
        from cv2_enumerate_cameras import enumerate_cameras
    except ImportError:
        found = []
        for index in range(8):  # no package: probe a few indices
            cap = cv2.VideoCapture(index, api)
            if cap.isOpened():
                found.append(CameraInfo(index, f"Camera {index}", str(index), backend, [], note))
            cap.release()
        return found
    return [CameraInfo(int(info.index), str(info.name), str(info.path or info.index), backend, [], note)
            for info in enumerate_cameras(api)]


def list_cameras(with_modes: bool = False) -> list[dict[str, Any]]:
    """Cameras as plain dicts (index, name, path, backend, modes) for the CLI, logs and the UI; modes
    only when asked (listing them touches each device: `devices` asks, the UI asks off its thread)."""
    return [info.to_json() for info in camera_infos(with_modes)]


def backend_api() -> int:
    if sys.platform.startswith("linux"):
        return cv2.CAP_V4L2
    if sys.platform == "win32":
        return cv2.CAP_DSHOW
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_ANY


def resolve_camera(spec: str | int, infos: list[CameraInfo] | None = None) -> str | int:
    """A device index, a device name (as listed), or a path/URL OpenCV can open."""
    if isinstance(spec, int) or str(spec).isdigit():
        return int(spec)
    spec = str(spec)
    if Path(spec).exists() or "://" in spec:
        return spec
    cameras = camera_infos(with_modes=False) if infos is None else infos
    named = [c for c in cameras if c.name.lower() == spec.lower()]
    if len(named) > 1:
        numbers = [str(c.index) for c in named]
        raise AmbiguousCameraError(tr_noop("{n} cameras are called '{spec}' (numbers {numbers} and {last}): choose one "
                                           "by its number, e.g. --camera {first}, or pick it in Settings > Video.").format(
            n=len(named), spec=spec, numbers=", ".join(numbers[:-1]), last=numbers[-1], first=named[0].index))
    if named:
        return named[0].index
    names = ", ".join(c.name for c in cameras) or tr_noop("none found")
    raise DeviceNotFoundError(tr_noop("camera '{spec}' not found (cameras here: {names})").format(spec=spec, names=names))


# -- the OpenCV boundary -----------------------------------------------------------------------------
class CaptureBoundary(Protocol):
    """The few VideoCapture calls the camera makes; ``OpenCVCapture`` is the real one."""

    def open(self, device: str | int, api: int) -> bool: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def release(self) -> None: ...


class OpenCVCapture:
    def __init__(self) -> None:
        self._cap: cv2.VideoCapture | None = None

    def open(self, device: str | int, api: int) -> bool:
        self._cap = cv2.VideoCapture(device, api)
        return bool(self._cap.isOpened())

    def set(self, prop: int, value: float) -> bool:
        return bool(self._cap is not None and self._cap.set(prop, value))

    def get(self, prop: int) -> float:
        return float(self._cap.get(prop)) if self._cap is not None else 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self._cap is None:
            return False, None
        return self._cap.read()

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()


CaptureFactory = Callable[[], CaptureBoundary]


class OpenReport:
    """What was asked of the camera and what it gave, with the one-sentence fix when it gave less."""

    def __init__(self, asked: tuple[int, int, float], fourcc_asked: str, delivered: tuple[int, int, float],
                 fourcc: str, refused: list[str], sentence: str) -> None:
        self.asked, self.fourcc_asked, self.delivered = asked, fourcc_asked, delivered
        self.fourcc, self.refused, self.sentence = fourcc, refused, sentence

    def to_json(self) -> dict[str, Any]:
        (w, h, fps), (dw, dh, dfps) = self.asked, self.delivered
        return {"asked": {"width": w, "height": h, "fps": fps, "pixel_format": self.fourcc_asked},
                "delivered": {"width": dw, "height": dh, "fps": dfps, "pixel_format": self.fourcc},
                "refused": self.refused, "sentence": self.sentence}


def open_capture(cap: CaptureBoundary, device: str | int, api: int, choice: ModeChoice | None,
                 modes: list[CameraMode] | None = None) -> OpenReport:
    """Open ``device`` and ask for the chosen mode: FOURCC first, then width, height, fps; then read back.

    A file or URL (``choice`` None) delivers what it contains: nothing is set.
    """
    if not cap.open(device, api):
        cap.release()
        raise DeviceNotFoundError(tr_noop('camera {device!r} could not be opened: it is unplugged, in use by another program (close video calls and browser tabs using it), or not allowed').format(device=device))
    refused: list[str] = []
    asked = choice.asked if choice is not None else (0, 0, 0.0)
    fourcc_asked = ""
    if choice is not None:
        cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS)  # ignored where unsupported
        mode = choice.mode
        width, height = mode.size if mode is not None else asked[:2]
        if choice.fourcc:
            fourcc_asked = choice.fourcc
            if not cap.set(cv2.CAP_PROP_FOURCC, fourcc_code(choice.fourcc)):
                refused.append(f"pixel format {choice.fourcc}")
        if not cap.set(cv2.CAP_PROP_FRAME_WIDTH, width):
            refused.append(f"width {width}")
        if not cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height):
            refused.append(f"height {height}")
        if not cap.set(cv2.CAP_PROP_FPS, asked[2]):
            refused.append(f"{asked[2]:g} fps")
        asked = (width, height, asked[2])
    delivered = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                 round(float(cap.get(cv2.CAP_PROP_FPS) or 0.0), 3))
    fourcc = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
    sentence = shortfall_sentence(asked, delivered, modes) if choice is not None else ""
    if choice is not None and not sentence and (delivered[0], delivered[1]) != (asked[0], asked[1]) and delivered[0]:
        sentence = tr_noop("The camera refused {asked} and gives {given} — choose one of its modes in Settings > "
                           "Video.").format(asked=f"{asked[0]}x{asked[1]}", given=f"{delivered[0]}x{delivered[1]}")
    if choice is not None and choice.advice and not sentence:
        sentence = choice.advice
    return OpenReport(asked, fourcc_asked, delivered, fourcc, refused, sentence)


# -- the source -------------------------------------------------------------------------------------
def camera_frame(bgr: np.ndarray, capture_time_s: float, seq: int) -> VideoFrame:
    """OpenCV's BGR picture as the compositor wants it: converted once, to the encoder's I420 (RGB
    only for an odd-sized picture, which 4:2:0 cannot hold)."""
    height, width = bgr.shape[:2]
    if bgr.ndim == 3 and bgr.shape[2] == 3 and not width % 2 and not height % 2:
        return VideoFrame.from_i420(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), width, height, capture_time_s, seq)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB if bgr.ndim == 2 else cv2.COLOR_BGR2RGB)
    return VideoFrame(rgb, capture_time_s, seq)


class CameraSource(ThreadedSource):
    kind = "camera"
    frozen_after_s = 1.0  # no new picture this long = frozen (state LOST, reopen)
    slate_after_s = 2.0  # the last picture stays on the program this long, then the slate
    reopen_backoff_s = (1.0, 2.0, 4.0, 5.0)
    first_frame_timeout_s = 3.0

    def __init__(self, source_id: str, device: str | int, width: int = 1280, height: int = 720,
                 fps: float = 30.0, capture_factory: CaptureFactory = OpenCVCapture,
                 modes: list[CameraMode] | None = None, name: str = "") -> None:
        super().__init__(source_id)
        infos: list[CameraInfo] | None = None
        if modes is None and not (isinstance(device, str) and (Path(device).exists() or "://" in device)):
            try:
                infos = camera_infos(with_modes=True)
            except OSError:
                infos = []
        self.device = resolve_camera(device, infos)
        self.is_device = isinstance(self.device, int)
        info = next((c for c in infos or [] if c.index == self.device), None)
        self.name = name or (info.name if info else str(device))
        self.modes = list(modes if modes is not None else (info.modes if info else []))
        # Cameras are landscape: a vertical canvas asks for the landscape size and the layer crops it.
        cam_w, cam_h = (max(width, height), min(width, height))
        self.requested = (cam_w, cam_h, float(fps))
        self.choice: ModeChoice | None = choose_mode(self.modes, cam_w, cam_h, fps) if self.is_device else None
        self.capture_factory = capture_factory
        self.api = backend_api() if self.is_device else cv2.CAP_ANY
        self.report: OpenReport | None = None
        self.delivered: dict[str, Any] = {}
        self.measured_fps = 0.0
        self.notice = ""  # the seller-facing sentence when the camera gives less than asked
        self.freezes = 0
        self.reopens = 0
        self.last_freeze: dict[str, float] = {}
        self._gen = 0
        self._gen_lock = threading.Lock()
        self._last_new_s = time.monotonic()
        self._last_sig: int | None = None
        self._repeats = 0
        self._frozen_since_s: float | None = None
        # A driver repeating one buffer is frozen; a file may legitimately hold a still picture.
        self.detect_repeats = self.is_device
        self._watchdog: threading.Thread | None = None
        self.device_frozen = threading.Event()  # camera-freeze fault: every read of the device blocks

    @property
    def rate_notice(self) -> str:
        """The notice when the camera gives fewer frames than asked (the health row shows it while live;
        a smaller or other-shaped picture is said once at start and not repeated)."""
        if not self.notice or self.report is None:
            return ""
        asked_fps = self.requested[2]
        given = [f for f in (self.report.delivered[2], self.measured_fps) if f]
        return self.notice if any(f + 0.5 < asked_fps * 0.9 for f in given) else ""

    # -- opening ------------------------------------------------------------------------------
    def _open(self) -> tuple[CaptureBoundary, OpenReport]:
        cap = _FreezableCapture(self.capture_factory(), self.device_frozen)
        report = open_capture(cap, self.device, self.api, self.choice, self.modes)
        return cap, report

    def _record_report(self, report: OpenReport) -> None:
        self.report = report
        w, h, fps = report.delivered
        self.delivered = {"width": w, "height": h, "fps": fps, "pixel_format": report.fourcc}
        if report.sentence and report.sentence != self.notice:
            self.notice = report.sentence
            log.warning("camera %s: %s", self.name, report.sentence)
            self.events.emit("camera_notice", source_id=self.id, message=report.sentence)

    def start(self) -> None:
        """Open the device and wait for its first picture (a clear error when it gives none), then
        capture on a thread with the watchdog on another. Call it off the UI thread."""
        cap, report = self._open()
        first, may_release = _read_with_timeout(cap, self.first_frame_timeout_s)
        if first is None:
            if may_release:
                cap.release()
            raise CameraBusyError(tr_noop(
                "Camera '{name}' opened but gives no picture: another program (a video call, a browser "
                "tab, another studio) is probably using it — close that program and choose the camera again.").format(
                name=self.name))
        self._record_report(report)
        w, h, fps = self.requested
        log.info("camera %s: asked %dx%d@%g %s (%s), device gives %dx%d@%g %s", self.name, w, h, fps,
                 report.fourcc_asked or "-", self.choice.reason if self.choice else "a file or URL",
                 *report.delivered, report.fourcc or "?")
        self._stop.clear()
        self._set_state(SourceState.LIVE)
        self._put(first)
        self._spawn_capture(cap)
        self._watchdog = threading.Thread(target=self._watch, name=f"camera-watchdog-{self.id}", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stop.set()
        self.device_frozen.clear()
        for thread in (self._watchdog, self._thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=2.0)
        self._set_state(SourceState.STOPPED)

    # -- capture --------------------------------------------------------------------------------
    def _spawn_capture(self, cap: CaptureBoundary) -> None:
        with self._gen_lock:
            self._gen += 1
            gen = self._gen
        self._thread = threading.Thread(target=self._capture, args=(gen, cap), name=f"source-camera-{self.id}-{gen}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:  # pragma: no cover - capture runs in _capture (generations)
        raise NotImplementedError

    def _capture(self, gen: int, cap: CaptureBoundary) -> None:
        # Files opened as cameras (tests, support reproductions) are paced to their own fps.
        fps = self.report.delivered[2] if self.report else 0.0
        pace_s = 1.0 / fps if not self.is_device and fps else 0.0
        next_due = time.monotonic()
        window_start, window_frames = time.monotonic(), 0
        try:
            while not self._stop.is_set() and gen == self._gen:
                ok, bgr = cap.read()
                if gen != self._gen or self._stop.is_set():
                    break  # abandoned while blocked in read: a newer capture owns the camera
                if not ok or bgr is None:
                    if not self.is_device and not self._stop.is_set():
                        log.info("camera %s: end of file, looping", self.name)
                        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        ok, bgr = cap.read()
                    if not ok or bgr is None:
                        log.warning("camera %s stopped delivering (read failed)", self.name)
                        return  # the watchdog reopens it
                self._put(bgr)
                window_frames += 1
                now = time.monotonic()
                if now - window_start >= 2.0:
                    self.measured_fps = round(window_frames / (now - window_start), 1)
                    window_start, window_frames = now, 0
                    self._check_rate()
                if pace_s:
                    next_due += pace_s
                    delay = next_due - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        break
                    if delay < -1.0:
                        next_due = time.monotonic()
        finally:
            cap.release()

    def _put(self, bgr: np.ndarray) -> None:
        """Hand a picture to the compositor unless it repeats the previous one bit for bit (a driver
        that repeats one buffer is frozen; a real sensor's noise always changes some pixels)."""
        if self.detect_repeats:
            sig = zlib.crc32(np.ascontiguousarray(bgr[::4, ::4]).data)
            if sig == self._last_sig:
                self._repeats += 1
                return
            self._last_sig, self._repeats = sig, 0
        seq = self.slot.frames_in + 1
        self.slot.put(camera_frame(bgr, time.monotonic(), seq))
        self._last_new_s = time.monotonic()

    def _check_rate(self) -> None:
        if not self.is_device or self.report is None:
            return
        w, h, fps = self.requested
        dw, dh, _ = self.report.delivered
        if self.measured_fps <= 0:
            return
        sentence = shortfall_sentence((w, h, fps), (dw or w, dh or h, self.measured_fps), self.modes)
        if sentence and sentence != self.notice:
            self.notice = sentence
            log.warning("camera %s: %s", self.name, sentence)
            self.events.emit("camera_notice", source_id=self.id, message=sentence)

    # -- watchdog ---------------------------------------------------------------------------------
    def _watch(self) -> None:
        attempt = 0
        next_reopen_s = 0.0
        while not self._stop.wait(0.05):
            now = time.monotonic()
            stale_s = now - self._last_new_s
            if stale_s < self.frozen_after_s:
                if self._frozen_since_s is not None:
                    recovered_s = now - self._frozen_since_s
                    self.last_freeze["recovered_after_s"] = round(recovered_s, 3)
                    log.info("camera %s is back after %.1f s", self.name, recovered_s)
                    self._frozen_since_s = None
                    attempt = 0
                    self._set_state(SourceState.LIVE, tr_noop("camera is back"))
                continue
            if self._frozen_since_s is None:
                self._frozen_since_s = self._last_new_s
                self.freezes += 1
                why = (tr_noop("repeats the same picture") if self._repeats else tr_noop("gives no new picture"))
                reason = tr_noop("Camera '{name}' froze ({why} for {seconds} s): reopening it").format(
                    name=self.name, why=why, seconds=f"{self.frozen_after_s:g}")
                self.last_freeze = {"detected_after_s": round(stale_s, 3)}
                log.warning("%s", reason)
                self._set_state(SourceState.LOST, reason)
                next_reopen_s = now
            if now >= next_reopen_s:
                self._reopen()
                attempt += 1
                next_reopen_s = now + self.reopen_backoff_s[min(attempt - 1, len(self.reopen_backoff_s) - 1)]

    def _reopen(self) -> None:
        """Abandon the capture thread (it may be stuck in a read) and open the device again."""
        with self._gen_lock:
            self._gen += 1  # the old thread exits and releases its device as soon as its read returns
        try:
            cap, report = self._open()
        except DeviceNotFoundError as exc:
            log.warning("camera %s: reopen failed: %s", self.name, exc)
            return
        self.reopens += 1
        self._record_report(report)
        self._last_sig = None
        self._spawn_capture(cap)

    def frame_at(self, frame_index: int, now_s: float) -> VideoFrame | None:
        frame = self.slot.get()
        if self._state == SourceState.LOST and now_s - self._last_new_s >= self.slate_after_s:
            return self._lost_slate(frame)
        return frame

    def _lost_slate(self, last: VideoFrame | None) -> VideoFrame:
        width, height = last.size if last is not None else (1280, 720)
        if self._slate is None or self._slate.size != (width, height):
            from seller_studio.media.sources.base import make_slate

            self._slate = VideoFrame(make_slate(width, height, "camera lost - reconnecting"), time.monotonic())
        return self._slate

    def describe(self) -> dict[str, Any]:
        w, h, fps = self.requested
        return {**super().describe(), "device": self.device, "name": self.name,
                "requested": {"width": w, "height": h, "fps": fps},
                "mode": self.choice.mode.label if self.choice and self.choice.mode else None,
                "mode_reason": self.choice.reason if self.choice else "a file or URL delivers what it contains",
                "delivered": self.delivered, "measured_fps": self.measured_fps, "notice": self.notice,
                "lost": self.state == SourceState.LOST, "freezes": self.freezes, "reopens": self.reopens}


class _FreezableCapture:
    """Wraps a capture so the camera-freeze fault can make every read of the device block, as a hung
    driver does. Reads return normally the moment the fault ends."""

    def __init__(self, inner: CaptureBoundary, frozen: threading.Event) -> None:
        self.inner, self._frozen = inner, frozen

    def open(self, device: str | int, api: int) -> bool:
        return self.inner.open(device, api)

    def set(self, prop: int, value: float) -> bool:
        return self.inner.set(prop, value)

    def get(self, prop: int) -> float:
        return self.inner.get(prop)

    def read(self) -> tuple[bool, np.ndarray | None]:
        while self._frozen.is_set():
            time.sleep(0.02)
        return self.inner.read()

    def release(self) -> None:
        self.inner.release()


def _read_with_timeout(cap: CaptureBoundary, timeout_s: float) -> tuple[np.ndarray | None, bool]:
    """(the first picture or None, whether the caller may release ``cap``). A read still blocked at the
    timeout (busy or hung) is abandoned: that thread releases the device when its read returns, as
    releasing a VideoCapture while another thread reads from it is not safe."""
    lock = threading.Lock()
    state: dict[str, Any] = {"image": None, "is_abandoned": False}

    def read() -> None:
        ok, image = cap.read()
        with lock:
            if state["is_abandoned"]:
                cap.release()
                return
            state["image"] = image if ok else None

    reader = threading.Thread(target=read, name="camera-first-frame", daemon=True)
    reader.start()
    reader.join(timeout_s)
    with lock:
        if reader.is_alive():
            state["is_abandoned"] = True
            return None, False
        return state["image"], True
