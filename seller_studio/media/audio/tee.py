"""One mix heard by every canvas: the mixer is read once and each live session reads its own tap.

With a landscape and a vertical canvas live at the same time, two encode threads want the same
sound. Reading the mixer from both would give each half of it (a microphone's samples are taken
once), so ``SharedMix`` reads it once, into a buffer indexed by canvas time, and each session's
``MixTap`` reads that buffer from its own position: the sample at canvas time t is the same sample
on both canvases, whichever encoder asks first. Audio is never dropped for a tap that keeps up; the
buffer keeps at most ``max_buffer_s``: a tap further behind the other (a stuck encoder) gets silence
for what was let go, counted in ``samples_skipped``, and stays in time with its picture.

A tap looks like the mixer to ``LiveSession`` (``align_to_timeline``, ``mix``, ``levels``).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from seller_studio.media.audio import CHANNELS, SAMPLE_RATE
from seller_studio.media.audio.mixer import AudioMixer

log = logging.getLogger(__name__)


class SharedMix:
    def __init__(self, mixer: AudioMixer, max_buffer_s: float = 10.0, sample_rate: int = SAMPLE_RATE) -> None:
        self.mixer = mixer
        self.sample_rate = sample_rate
        self.max_buffer_samples = int(max_buffer_s * sample_rate)
        self._lock = threading.Lock()
        self._taps: list[MixTap] = []
        self._chunks: list[np.ndarray] = []  # mixed samples from canvas sample _start to _end
        self._start = 0
        self._end = 0
        self._origin = 0  # the timeline's first sample: before it a tap hears silence, not a loss
        self._is_aligned = False  # the mixer's timeline is set by the first tap that aligns

    def tap(self) -> MixTap:
        tap = MixTap(self)
        with self._lock:
            tap.position = self._end
            self._taps.append(tap)
        return tap

    @property
    def tap_count(self) -> int:
        with self._lock:
            return len(self._taps)

    def buffered_samples(self) -> int:
        with self._lock:
            return self._end - self._start

    # -- called by taps --------------------------------------------------------------------------
    def _close(self, tap: MixTap) -> None:
        with self._lock:
            if tap in self._taps:
                self._taps.remove(tap)
            if not self._taps:  # the next show starts a fresh timeline
                self._chunks, self._start, self._end, self._is_aligned = [], 0, 0, False
            else:
                self._trim()

    def _align(self, tap: MixTap, t_s: float) -> None:
        position = round(t_s * self.sample_rate)
        with self._lock:
            if not self._is_aligned:
                self.mixer.align_to_timeline(t_s)
                self._chunks, self._start, self._end, self._origin = [], position, position, position
                self._is_aligned = True
            tap.position = position

    def _read(self, tap: MixTap, n: int) -> np.ndarray:
        out = np.zeros((n, CHANNELS), dtype=np.float32)
        with self._lock:
            if not self._is_aligned:  # no session aligned: the timeline starts at this tap
                self._chunks, self._start, self._end, self._origin = [], tap.position, tap.position, tap.position
                self._is_aligned = True
            begin, end = tap.position, tap.position + n
            if end > self._end:  # the first tap to get here reads the mixer for every tap
                self._chunks.append(self.mixer.mix(end - self._end))
                self._end = end
            if begin < self._start:  # behind what is kept (silence before the timeline's first sample)
                if end > self._origin:
                    tap.samples_skipped += min(end, self._start) - max(begin, self._origin)
                begin = self._start
            if begin < end:
                out[begin - tap.position:] = self._slice(begin, end)
            tap.position = end
            self._trim()
        return out

    def _slice(self, begin: int, end: int) -> np.ndarray:
        """Samples [begin, end) of the kept buffer (under the lock); copies only the chunks it spans."""
        parts, position = [], self._start
        for chunk in self._chunks:
            chunk_end = position + len(chunk)
            if chunk_end > begin and position < end:
                parts.append(chunk[max(0, begin - position) : min(len(chunk), end - position)])
            position = chunk_end
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _trim(self) -> None:
        """Forget what every tap has read; never keep more than ``max_buffer_samples``."""
        keep_from = min((t.position for t in self._taps), default=self._end)
        keep_from = min(max(keep_from, self._end - self.max_buffer_samples, self._start), self._end)
        while self._chunks and self._start + len(self._chunks[0]) <= keep_from:
            self._start += len(self._chunks.pop(0))
        if self._chunks and keep_from > self._start:
            self._chunks[0] = self._chunks[0][keep_from - self._start:]
            self._start = keep_from
        if not self._chunks:
            self._start = self._end


class MixTap:
    """One session's view of the shared mix (what ``LiveSession`` calls its mixer)."""

    def __init__(self, shared: SharedMix) -> None:
        self.shared = shared
        self.position = 0  # canvas sample of the next read
        self.samples_skipped = 0
        self.is_closed = False

    def align_to_timeline(self, t_s: float) -> None:
        self.shared._align(self, t_s)

    def mix(self, n: int) -> np.ndarray:
        return self.shared._read(self, n)

    def levels(self) -> dict[str, dict[str, float]]:
        return self.shared.mixer.levels()

    def close(self) -> None:
        if not self.is_closed:
            self.is_closed = True
            self.shared._close(self)
