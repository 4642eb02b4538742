"""A video file played in a loop, decoded by PyAV on its own thread and paced to its timestamps.

Frames stay as decoded (YUV 4:2:0; other formats converted to it once): no RGB on the way to the
encoder.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import av

from seller_studio.common.errors import BadMediaFileError
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.base import ThreadedSource

log = logging.getLogger(__name__)


class VideoFileSource(ThreadedSource):
    kind = "video-file"
    lost_after_s = 5.0  # files never get unplugged; only a broken file stops delivering

    def __init__(self, source_id: str, path: str | Path, loop: bool = True) -> None:
        super().__init__(source_id)
        self.path = Path(path)
        self.loop = loop
        try:
            with av.open(str(self.path)) as probe:
                stream = probe.streams.video[0]
                self.width, self.height = stream.codec_context.width, stream.codec_context.height
                self.fps = float(stream.average_rate or stream.guessed_rate or 30)
        except (av.FFmpegError, IndexError, OSError) as exc:
            raise BadMediaFileError(tr_noop('cannot play video file {path}: {exc}').format(path=self.path, exc=exc)) from None

    def _run(self) -> None:
        seq = 0
        pass_start_s = time.monotonic()
        while not self._stop.is_set():
            try:
                with av.open(str(self.path)) as container:
                    stream = container.streams.video[0]
                    if stream.codec_context.name != "rawvideo":
                        # Threads help a compressed video keep up; raw video (y4m) only pays for them
                        # (1.1 instead of 0.3 ms of CPU a 720p frame).
                        stream.thread_type = "AUTO"
                    frame_s = 1.0 / float(stream.average_rate or stream.guessed_rate or 30)
                    while True:
                        first_pts_s: float | None = None
                        last_pts_s = 0.0
                        for frame in container.decode(stream):
                            if self._stop.is_set():
                                return
                            t = float(frame.time or 0.0)
                            first_pts_s = t if first_pts_s is None else first_pts_s
                            last_pts_s = t
                            delay = pass_start_s + (t - first_pts_s) - time.monotonic()
                            if delay > 0 and self._stop.wait(delay):
                                return
                            seq += 1
                            self.slot.put(VideoFrame.from_av(frame, time.monotonic(), seq))
                        if not self.loop:
                            return
                        if first_pts_s is None:  # nothing came (a seek the format cannot do): reopen
                            if self._stop.wait(1.0):
                                return
                            pass_start_s = time.monotonic()
                            break
                        # The next pass goes on one frame after this one's last (a late pass starts now).
                        pass_start_s = max(pass_start_s + last_pts_s - first_pts_s + frame_s, time.monotonic() - frame_s)
                        # Loop by seeking back, not by opening the file again (an open probes the file:
                        # tens of ms, every pass of a short clip).
                        container.seek(0, stream=stream)
            except av.FFmpegError as exc:
                log.warning("video file %s: %s", self.path, exc)
                if self._stop.wait(1.0):
                    return
                pass_start_s = time.monotonic()
            if not self.loop:
                return

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "path": str(self.path), "width": self.width, "height": self.height,
                "fps": self.fps}
