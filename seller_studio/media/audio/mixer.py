"""Mixes audio sources with per-source gain and mute, and measures peak and RMS levels."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from seller_studio.media.audio import CHANNELS
from seller_studio.media.audio.base import AudioSource

SILENCE_DB = -120.0


def to_db(value: float) -> float:
    return 20 * math.log10(value) if value > 1e-6 else SILENCE_DB


@dataclass
class Channel:
    source: AudioSource
    gain_db: float = 0.0
    is_muted: bool = False
    peak_db: float = SILENCE_DB
    rms_db: float = SILENCE_DB


class AudioMixer:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self._lock = threading.Lock()
        self.master_peak_db = SILENCE_DB
        self.master_rms_db = SILENCE_DB

    def add(self, source: AudioSource, gain_db: float = 0.0, is_muted: bool = False) -> None:
        with self._lock:
            self.channels[source.id] = Channel(source, gain_db, is_muted)

    def remove(self, source_id: str) -> AudioSource | None:
        with self._lock:
            channel = self.channels.pop(source_id, None)
        return channel.source if channel else None

    def set_gain_db(self, source_id: str, gain_db: float) -> None:
        self.channels[source_id].gain_db = gain_db

    def set_muted(self, source_id: str, is_muted: bool) -> None:
        self.channels[source_id].is_muted = is_muted

    def align_to_timeline(self, t_s: float) -> None:
        """The next sample read belongs to canvas time ``t_s`` (synthetic sources follow it)."""
        with self._lock:
            channels = list(self.channels.values())
        for ch in channels:
            ch.source.align_to_timeline(t_s)

    def mix(self, n: int) -> np.ndarray:
        """The next ``n`` mixed samples. Every source is read even when muted, so it stays in time."""
        out = np.zeros((n, CHANNELS), dtype=np.float32)
        with self._lock:
            channels = list(self.channels.values())
        for ch in channels:
            samples = ch.source.read(n)
            ch.peak_db, ch.rms_db = _levels(samples)
            if not ch.is_muted:
                out += samples * np.float32(10 ** (ch.gain_db / 20))
        np.clip(out, -1.0, 1.0, out=out)
        self.master_peak_db, self.master_rms_db = _levels(out)
        return out

    def levels(self) -> dict[str, dict[str, float]]:
        with self._lock:  # add/remove run on other threads than the stats reader
            channels = list(self.channels.items())
        result = {sid: {"peak_db": ch.peak_db, "rms_db": ch.rms_db, "gain_db": ch.gain_db,
                        "is_muted": ch.is_muted} for sid, ch in channels}
        result["master"] = {"peak_db": self.master_peak_db, "rms_db": self.master_rms_db}
        return result


def _levels(samples: np.ndarray) -> tuple[float, float]:
    if len(samples) == 0:
        return SILENCE_DB, SILENCE_DB
    # Two reductions and a dot product, no temporary arrays: this runs for every source and the
    # master on every frame's audio.
    flat = samples.reshape(-1)
    peak = max(float(flat.max()), -float(flat.min()))
    rms = math.sqrt(max(0.0, float(np.dot(flat, flat))) / flat.size)
    return to_db(peak), to_db(rms)
