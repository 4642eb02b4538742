"""Local recording of the encoded packets (no second encode), on its own thread.

MKV by default: a crash or power cut leaves a playable file. Optionally remuxed to MP4 at the end.
The recording never drops a packet and is untouched by whatever the network outputs go through.
A write failure (a full disk) stops only the recording, with a one-line reason.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from seller_studio.common.errors import UnwritablePathError
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.base import Muxer, Output, OutputError, OutputState, StopReason
from seller_studio.media.stats import RecordingStats
from seller_studio.media.supervision import ThreadCrash, report_crash, restarted

log = logging.getLogger(__name__)

FORMATS = {".mkv": "matroska", ".mp4": "mp4", ".flv": "flv", ".ts": "mpegts", ".mov": "mov"}


def check_writable(path: Path) -> None:
    """Fail now, on the caller's thread, with a clear line if the file cannot be created."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UnwritablePathError(tr_noop('cannot record to {path}: folder {parent} does not exist').format(path=path, parent=parent))
    if path.is_dir():
        raise UnwritablePathError(tr_noop('cannot record to {path}: it is a folder').format(path=path))
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UnwritablePathError(tr_noop('cannot record to {path}: permission denied').format(path=path))


class RecordingOutput(Output):
    kind = "recording"

    def __init__(self, path: str | Path, remux_to_mp4: bool = False, name: str = "recording") -> None:
        super().__init__(name)
        self.path = Path(path)
        # An MP4 is unreadable until its index is written at the end: a crash or a full disk would lose
        # the whole show. So an .mp4 target is recorded as MKV while live and remuxed at the end.
        self.mp4_target: Path | None = None
        if self.path.suffix.lower() == ".mp4":
            self.mp4_target, self.path = self.path, self.path.with_suffix(".recording.mkv")
        self.format = FORMATS.get(self.path.suffix.lower(), "matroska")
        self.remux_to_mp4 = remux_to_mp4
        self.final_path: Path | None = None
        self._queue: deque[EncodedPacket | None] = deque()
        self._cond = threading.Condition()
        self.packets_written = 0
        self.bytes_written = 0
        self.crashes_total = 0
        self._crash: ThreadCrash | None = None
        self._skip_to_keyframe = False
        # Hooks for per-lot chapters (studio/chapters.py): where the file's timeline starts, and the
        # chapters to write into the file when it is closed (MKV keeps them in its trailer).
        self.first_video_pts_s: float | None = None
        self.first_video_written_at_s: float | None = None  # time.monotonic() when it was muxed
        self.chapters_at_close: Callable[[], list[dict[str, Any]]] | None = None

    def start(self, templates: list) -> None:
        check_writable(self.mp4_target or self.path)
        if self.mp4_target is not None:
            log.info("recording to %s while live (crash-safe); %s is written from it at the end",
                     self.path.name, self.mp4_target.name)
        self._set_state(OutputState.CONNECTING)
        self._thread = threading.Thread(target=self._run, args=(templates,), name=f"output-{self.name}", daemon=True)
        self._thread.start()

    def send(self, packet: EncodedPacket) -> None:
        if self.state in (OutputState.FAILED, OutputState.STOPPED):
            return
        with self._cond:
            self._queue.append(packet)
            self._cond.notify()

    def stop(self, timeout_s: float = 30.0) -> None:
        with self._cond:
            self._queue.append(None)  # end marker: everything queued before it is written
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self, templates: list) -> None:
        muxer = None
        try:
            muxer = Muxer(av.open(str(self.path), "w", format=self.format), templates)
            muxer.start()
            self._set_state(OutputState.LIVE, path=str(self.path))
            while True:
                with self._cond:
                    while not self._queue:
                        self._cond.wait()
                    packet = self._queue.popleft()
                if packet is None:
                    break
                try:
                    self.crash_injector.check()
                    if self._skip_to_keyframe:
                        if packet.kind == "video" and not packet.is_keyframe:
                            continue
                        if packet.kind == "video":
                            self._skip_to_keyframe = False
                            self._restarted()
                    muxer.mux(packet)
                    if self.first_video_pts_s is None and packet.kind == "video":
                        self.first_video_pts_s, self.first_video_written_at_s = packet.pts_s, time.monotonic()
                except (OSError, av.FFmpegError):
                    raise
                except Exception as exc:  # supervised: report, skip to the next keyframe, go on
                    self._crash = report_crash("recording", exc)
                    self.crashes_total += 1
                    self.events.emit("thread_crashed", **self._crash.to_dict(), output=self.name)
                    self._skip_to_keyframe = True
                    self.request_keyframe()
                    continue
                self.packets_written += 1
                self.bytes_written = muxer.bytes_written
            self._write_chapters(muxer)
            muxer.close()
            muxer = None
            self.final_path = self.path
            if self.mp4_target is not None:
                self.final_path = remux(self.path, self.mp4_target)
                self.path.unlink(missing_ok=True)  # the MP4 now holds every packet
            elif self.remux_to_mp4 and self.format != "mp4":
                self.final_path = remux(self.path, self.path.with_suffix(".mp4"))
            self.stop_reason = StopReason.FINISHED
            self._set_state(OutputState.STOPPED, path=str(self.final_path))
        except (OSError, av.FFmpegError) as exc:
            full = getattr(exc, "errno", None) == errno.ENOSPC
            err = (OutputError(StopReason.DISK_FULL, tr_noop('recording stopped: the disk is full ({parent}); what was recorded so far is kept: free some space and record again').format(parent=self.path.parent))
                   if full else OutputError(StopReason.WRITE_FAILED, tr_noop('recording stopped: cannot write {path} ({exc})').format(path=self.path, exc=exc)))
            log.error("%s", err)
            self.fail(err)
            if muxer is not None:
                try:
                    muxer.close()
                except Exception:  # the file is already as good as it will get
                    pass
        except Exception as exc:  # not a write error: a bug; the file so far stays playable (MKV)
            report_crash("recording", exc)
            self.fail(OutputError(StopReason.WRITE_FAILED, tr_noop('recording stopped after an internal error ({name__}); saved up to here').format(name__=type(exc).__name__)))
            if muxer is not None:
                try:
                    muxer.close()
                except Exception:  # the file is already as good as it will get
                    pass

    def _write_chapters(self, muxer: Muxer) -> None:
        if self.chapters_at_close is None:
            return
        try:
            chapters = self.chapters_at_close()
            if chapters:
                muxer.container.set_chapters(chapters)
        except Exception:  # chapters are a convenience: never lose the recording over them
            log.exception("chapters not written into %s (the .chapters.jsonl beside it has them)", self.path)

    def _restarted(self) -> None:
        if self._crash is not None:
            self.events.emit("thread_restarted", **restarted(self._crash).to_dict(), output=self.name)
            self._crash = None

    def stats(self) -> RecordingStats:
        return RecordingStats(self.name, self.kind, self.state.value, path=str(self.path), packets=self.packets_written,
                              bytes=self.bytes_written, queued=len(self._queue), thread_crashes=self.crashes_total,
                              error=self.error, stop_reason=self.stop_reason.value)


def remux(src: Path, dst: Path) -> Path:
    """Copy the packets of ``src`` into ``dst`` (MP4 with the index at the front), no re-encode."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        mapping = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
        for packet in inp.demux():
            if packet.dts is None or packet.stream.index not in mapping:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    log.info("recording remuxed to %s", dst)
    return dst
