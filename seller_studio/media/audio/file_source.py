"""An audio file, decoded with PyAV and resampled to 48 kHz stereo, looping."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from seller_studio.common.errors import BadMediaFileError
from seller_studio.i18n import tr_noop
from seller_studio.media.audio import SAMPLE_RATE
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.ring_buffer import AudioRingBuffer


class AudioFileSource(AudioSource):
    kind = "audio-file"

    def __init__(self, source_id: str, path: str | Path, loop: bool = True) -> None:
        super().__init__(source_id)
        self.path = Path(path)
        self.loop = loop
        self._ring = AudioRingBuffer(SAMPLE_RATE)
        self._container: av.container.InputContainer | None = None
        self._frames = None
        self._ended = False
        try:
            self._open()
        except (av.FFmpegError, IndexError, OSError) as exc:
            raise BadMediaFileError(tr_noop('cannot play audio file {path}: {exc}').format(path=self.path, exc=exc)) from None

    def _open(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = av.open(str(self.path))
        stream = self._container.streams.audio[0]
        self._resampler = av.AudioResampler(format="flt", layout="stereo", rate=SAMPLE_RATE)
        self._frames = self._container.decode(stream)
        self._samples_this_pass = 0

    def _rewind(self) -> None:
        """Back to the start for the next pass: a seek (an open probes the file again: tens of ms,
        every pass of a short loop); a file that cannot seek is opened again."""
        assert self._container is not None
        try:
            stream = self._container.streams.audio[0]
            self._container.seek(0, stream=stream)
            self._frames = self._container.decode(stream)
            self._samples_this_pass = 0
        except av.FFmpegError:
            self._open()

    def _decode_more(self) -> bool:
        try:
            frame = next(self._frames)
        except (StopIteration, av.FFmpegError):
            if not self.loop or self._samples_this_pass == 0:  # an empty file must not spin
                return False
            self._rewind()
            return True
        for out in self._resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1, 2)
            self._samples_this_pass += len(samples)
            self._ring.write(samples)
        return True

    def read(self, n: int) -> np.ndarray:
        while self._ring.available < n and not self._ended:
            if not self._decode_more():
                self._ended = True
        return self._ring.read(n)

    def stop(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
