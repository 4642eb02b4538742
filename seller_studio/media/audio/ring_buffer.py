"""A growable ring buffer of stereo float32 samples between a device callback and the mixer.

Audio is never dropped: when the writer runs ahead the buffer grows (and counts it) instead of
overwriting; when the reader runs ahead it gets silence for the missing part (an underrun).
"""

from __future__ import annotations

import threading

import numpy as np

from seller_studio.media.audio import CHANNELS


class AudioRingBuffer:
    def __init__(self, capacity_samples: int = 48000) -> None:
        self._buf = np.zeros((capacity_samples, CHANNELS), dtype=np.float32)
        self._start = 0
        self._count = 0
        self._lock = threading.Lock()
        self.underrun_samples = 0
        self.grew = 0

    @property
    def available(self) -> int:
        with self._lock:
            return self._count

    def write(self, samples: np.ndarray) -> None:
        n = len(samples)
        with self._lock:
            cap = len(self._buf)
            if self._count + n > cap:
                self._grow(self._count + n)
                cap = len(self._buf)
            end = (self._start + self._count) % cap
            first = min(n, cap - end)
            self._buf[end : end + first] = samples[:first]
            if first < n:
                self._buf[: n - first] = samples[first:]
            self._count += n

    def _grow(self, needed: int) -> None:
        new = np.zeros((max(needed, 2 * len(self._buf)), CHANNELS), dtype=np.float32)
        new[: self._count] = self._read_locked(self._count)
        self._buf, self._start = new, 0
        self.grew += 1

    def _read_locked(self, n: int) -> np.ndarray:
        cap = len(self._buf)
        first = min(n, cap - self._start)
        out = np.concatenate([self._buf[self._start : self._start + first], self._buf[: n - first]])
        return out

    def read(self, n: int) -> np.ndarray:
        """Exactly ``n`` samples: what is buffered, then silence for any shortfall."""
        with self._lock:
            take = min(n, self._count)
            out = self._read_locked(take)
            self._start = (self._start + take) % len(self._buf)
            self._count -= take
        if take < n:
            self.underrun_samples += n - take
            out = np.concatenate([out, np.zeros((n - take, CHANNELS), dtype=np.float32)])
        return out
