"""Generated audio: silence, and a tone whose beeps line up with the test pattern's flashes."""

from __future__ import annotations

import numpy as np

from seller_studio.media.audio import CHANNELS, SAMPLE_RATE
from seller_studio.media.audio.base import AudioSource


class SilenceSource(AudioSource):
    kind = "silence"

    def read(self, n: int) -> np.ndarray:
        return np.zeros((n, CHANNELS), dtype=np.float32)


class ToneSource(AudioSource):
    """A quiet 440 Hz bed with a loud 1 kHz beep for the first ``beep_s`` of every second.

    Sample 0 is the stream's time zero, so beep k starts at exactly k seconds, the instant the
    test pattern flashes.
    """

    kind = "tone"
    BED_HZ, BED_LEVEL = 440.0, 0.05
    BEEP_HZ, BEEP_LEVEL = 1000.0, 0.6

    def __init__(self, source_id: str, beep_s: float = 0.1) -> None:
        super().__init__(source_id)
        self.beep_samples = int(beep_s * SAMPLE_RATE)
        self._pos = 0

    def align_to_timeline(self, t_s: float) -> None:
        self._pos = round(t_s * SAMPLE_RATE)

    def read(self, n: int) -> np.ndarray:
        idx = np.arange(self._pos, self._pos + n, dtype=np.int64)
        self._pos += n
        t = idx / SAMPLE_RATE
        in_beep = (idx % SAMPLE_RATE) < self.beep_samples
        wave = np.where(in_beep, self.BEEP_LEVEL * np.sin(2 * np.pi * self.BEEP_HZ * t),
                        self.BED_LEVEL * np.sin(2 * np.pi * self.BED_HZ * t)).astype(np.float32)
        return np.repeat(wave[:, None], CHANNELS, axis=1)


def beep_onsets_s(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, threshold: float = 0.3) -> list[float]:
    """Times where the tone's beeps start, for A/V sync checks on decoded audio (mono or stereo)."""
    mono = np.abs(samples if samples.ndim == 1 else samples.mean(axis=1))
    window = max(1, sample_rate // 1000)  # 1 ms envelope
    env = np.convolve(mono, np.ones(window) / window, mode="same")
    loud = env > threshold * 0.6  # the beep's mean |sin| is ~0.64 of its peak
    onsets = []
    last = -sample_rate
    rising = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    if len(loud) and loud[0]:
        rising = np.concatenate([[0], rising])  # a beep right at the start
    for i in rising:
        if i - last > sample_rate // 2:
            onsets.append(i / sample_rate)
            last = i
    return onsets
