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
        while not self._stop.is_set():
            try:
                with av.open(str(self.path)) as container:
                    stream = container.streams.video[0]
                    stream.thread_type = "AUTO"
                    started = time.monotonic()
                    first_pts_s: float | None = None
                    for frame in container.decode(stream):
                        if self._stop.is_set():
                            return
                        t = float(frame.time or 0.0)
                        first_pts_s = t if first_pts_s is None else first_pts_s
                        delay = started + (t - first_pts_s) - time.monotonic()
                        if delay > 0 and self._stop.wait(delay):
                            return
                        seq += 1
                        self.slot.put(VideoFrame.from_av(frame, time.monotonic(), seq))
            except av.FFmpegError as exc:
                log.warning("video file %s: %s", self.path, exc)
                if self._stop.wait(1.0):
                    return
            if not self.loop:
                return

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "path": str(self.path), "width": self.width, "height": self.height,
                "fps": self.fps}
