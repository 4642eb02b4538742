"""FFmpeg's network I/O for an output, opened so that every wait has a deadline and the GIL is free.

PyAV opens an output URL (``avio_open``) holding Python's GIL, with no interrupt callback and no
timeout: an RTMP server that answers the handshake and then never answers the connect or publish
command froze the whole studio, window and signal handlers included (measured: ``stream`` to such a
server ignored ``--duration`` and SIGTERM for 10 minutes, until killed). So the output opens the
connection itself, through the same FFmpeg library PyAV loaded, with ``ctypes`` (which releases the
GIL for the call) and an interrupt callback that ends a wait when the output stops or when the
operation passes its deadline. PyAV then muxes FLV into this object as a custom file, and the bytes
go to FFmpeg's own RTMP(S) protocol, exactly as ``ffmpeg -f flv rtmp://...`` sends them.

Deadlines: opening (TCP, TLS, handshake, connect, publish) has ``open_timeout_s`` in all and ends at
once when the output stops; a write that has not gone out ``stall_timeout_s`` after it would have at
``MIN_LINK_BPS`` means the link is dead, and the output reconnects instead of waiting for TCP to give
up (15 minutes and more).
After a stop, a write or close still gets ``STOP_GRACE_S`` to finish: the muxer's last packets and
the unpublish go out instead of being cut off.

``available()`` is False where the libraries cannot be found next to PyAV (a wheel laid out in a way
this does not know); the output then opens the URL through PyAV as before, after its probe.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
import time
from collections.abc import Callable
from functools import cache

from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)

AVIO_FLAG_WRITE = 2
AVERROR_EXIT = -0x54495845  # FFERRTAG('E','X','I','T'): our interrupt callback said stop
STOP_GRACE_S = 1.0
# A write's deadline grows with its size: a 300 KB keyframe on a link just above this still goes out.
# Slower than this, the stream is useless anyway (the bitrate controller's lowest plan needs more).
MIN_LINK_BPS = 64_000
CLOSE_AFTER_FAILURE_S = 1.0

_InterruptFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _InterruptCB(ctypes.Structure):
    _fields_ = [("callback", _InterruptFn), ("opaque", ctypes.c_void_p)]


class _AVIOContextHead(ctypes.Structure):
    """The first fields of FFmpeg's public AVIOContext (avio.h; the same from FFmpeg 4 to 8): enough
    to read ``error`` after a write, which ``avio_write`` does not return."""

    _fields_ = [("av_class", ctypes.c_void_p), ("buffer", ctypes.c_void_p), ("buffer_size", ctypes.c_int),
                ("buf_ptr", ctypes.c_void_p), ("buf_end", ctypes.c_void_p), ("opaque", ctypes.c_void_p),
                ("read_packet", ctypes.c_void_p), ("write_packet", ctypes.c_void_p), ("seek", ctypes.c_void_p),
                ("pos", ctypes.c_int64), ("eof_reached", ctypes.c_int), ("error", ctypes.c_int),
                ("write_flag", ctypes.c_int)]


class _Libs:
    def __init__(self, avformat: ctypes.CDLL, avutil: ctypes.CDLL) -> None:
        self.avio_open2 = avformat.avio_open2
        self.avio_open2.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_int,
                                    ctypes.POINTER(_InterruptCB), ctypes.POINTER(ctypes.c_void_p)]
        self.avio_open2.restype = ctypes.c_int
        self.avio_write = avformat.avio_write
        self.avio_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.avio_write.restype = None
        self.avio_flush = avformat.avio_flush
        self.avio_flush.argtypes = [ctypes.c_void_p]
        self.avio_flush.restype = None
        self.avio_closep = avformat.avio_closep
        self.avio_closep.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self.avio_closep.restype = ctypes.c_int
        self.av_strerror = avutil.av_strerror
        self.av_strerror.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        self.av_dict_free = avutil.av_dict_free
        self.av_dict_free.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        avformat.avformat_network_init()

    def strerror(self, code: int) -> str:
        buf = ctypes.create_string_buffer(256)
        self.av_strerror(code, buf, len(buf))
        return buf.value.decode("utf-8", "replace") or f"error {code}"


def _library_dirs() -> list[str]:
    import av

    package = os.path.dirname(av.__file__)
    site = os.path.dirname(package)
    # manylinux (auditwheel) and Windows (delvewheel): av.libs beside the package; macOS (delocate):
    # av/.dylibs; a source build links the system's libraries (found by name).
    return [os.path.join(site, "av.libs"), os.path.join(package, ".dylibs"), package]


def _find(name: str) -> str | None:
    for folder in _library_dirs():
        for pattern in (f"lib{name}*.so*", f"lib{name}*.dylib", f"{name}*.dll"):
            found = sorted(glob.glob(os.path.join(folder, pattern)))
            if found:
                return found[0]
    return None


@cache
def _libs() -> _Libs | None:
    try:
        avformat, avutil = _find("avformat"), _find("avutil")
        if avformat is None or avutil is None:
            log.info("FFmpeg's libraries were not found beside PyAV; outputs open URLs through PyAV")
            return None
        return _Libs(ctypes.CDLL(avformat), ctypes.CDLL(avutil))
    except (OSError, AttributeError) as exc:
        log.info("FFmpeg's network I/O is not usable through ctypes (%s); outputs open URLs through PyAV", exc)
        return None


def available() -> bool:
    return _libs() is not None


class NetworkIOError(OSError):
    """Opening or writing failed; ``timed_out`` says whether a deadline (not the server) ended it."""

    def __init__(self, message: str, *, timed_out: bool = False, stopped: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.stopped = stopped


class NetworkIO:
    """A write-only FFmpeg AVIOContext on a URL, as a file object PyAV can mux into."""

    def __init__(self, url: str, *, open_timeout_s: float, stall_timeout_s: float,
                 is_stopped: Callable[[], bool]) -> None:
        libs = _libs()
        if libs is None:
            raise NetworkIOError(tr_noop("FFmpeg's network I/O is not available"))
        self._libs = libs
        self._is_stopped = is_stopped
        self.stall_timeout_s = stall_timeout_s
        self._deadline: float | None = None
        self._grace_s = 0.0  # after a stop, how long the running operation may still take
        self._started_s = 0.0
        self._lock = threading.Lock()  # close() may come from stop() while the output thread writes
        self._pb = ctypes.c_void_p()
        # Kept on self: FFmpeg calls it for as long as the context lives.
        self._callback = _InterruptFn(self._interrupt)
        self._interrupt_cb = _InterruptCB(self._callback, None)
        self.bytes_written = 0
        self._has_failed = False
        self._begin(open_timeout_s, grace_s=0.0)
        options = ctypes.c_void_p()
        try:
            ret = libs.avio_open2(ctypes.byref(self._pb), url.encode(), AVIO_FLAG_WRITE,
                                  ctypes.byref(self._interrupt_cb), ctypes.byref(options))
        finally:
            libs.av_dict_free(ctypes.byref(options))
            timed_out = self._deadline is not None and time.monotonic() >= self._deadline
            self._deadline = None
        if ret < 0:
            self._pb = ctypes.c_void_p()
            stopped = self._is_stopped()
            raise NetworkIOError(libs.strerror(ret), timed_out=timed_out and not stopped, stopped=stopped)
        head = ctypes.cast(self._pb, ctypes.POINTER(_AVIOContextHead)).contents
        if head.write_flag != 1 or head.buffer_size <= 0:  # not the layout this reads: do not guess
            self.close()
            raise NetworkIOError(tr_noop("FFmpeg's AVIOContext layout is not the one expected"))

    def _interrupt(self, _opaque: int) -> int:
        """Called by FFmpeg between its waits (every 100 ms while blocked): 1 ends the wait."""
        now = time.monotonic()
        if self._is_stopped() and now - self._started_s >= self._grace_s:
            return 1
        deadline = self._deadline
        return 1 if deadline is not None and now > deadline else 0

    def _begin(self, timeout_s: float, grace_s: float) -> None:
        self._started_s = time.monotonic()
        self._grace_s = grace_s
        self._deadline = self._started_s + timeout_s

    # -- the file object PyAV writes into -------------------------------------------------------
    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        with self._lock:
            if not self._pb:
                raise NetworkIOError(tr_noop("the connection is closed"))
            timeout_s = self.stall_timeout_s + len(data) * 8 / MIN_LINK_BPS
            self._begin(timeout_s, STOP_GRACE_S)
            try:
                self._libs.avio_write(self._pb, data, len(data))
                self._libs.avio_flush(self._pb)  # live: every packet goes out now, not when 32 KB pile up
            finally:
                deadline, self._deadline = self._deadline, None
            error = ctypes.cast(self._pb, ctypes.POINTER(_AVIOContextHead)).contents.error
            if error < 0:
                stopped = self._is_stopped()
                timed_out = error == AVERROR_EXIT and not stopped and deadline is not None
                why = (tr_noop("not sent within {seconds} s").format(seconds=f"{timeout_s:.0f}") if timed_out
                       else self._libs.strerror(error))
                self._has_failed = True
                raise NetworkIOError(tr_noop("sending failed: {why}").format(why=why), timed_out=timed_out, stopped=stopped)
        self.bytes_written += len(data)
        return len(data)

    def close(self) -> None:
        """Close the connection (RTMP: unpublish, then hang up), under the stall deadline; after a
        failed write the link is known dead, so the goodbye gets a second, not the whole deadline."""
        with self._lock:
            if not self._pb:
                return
            self._begin(CLOSE_AFTER_FAILURE_S if self._has_failed else self.stall_timeout_s, STOP_GRACE_S)
            try:
                self._libs.avio_closep(ctypes.byref(self._pb))
            finally:
                self._deadline = None
                self._pb = ctypes.c_void_p()
