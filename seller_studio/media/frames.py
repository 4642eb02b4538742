"""What flows between the media stages."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(slots=True)
class VideoFrame:
    """A picture from a source. ``image`` is HxWx3 RGB or HxWx4 RGBA, uint8."""

    image: np.ndarray
    capture_time_s: float  # time.monotonic() when captured/produced
    seq: int = 0  # the source's own counter; repeats of the same frame keep the same seq

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(slots=True)
class EncodedPacket:
    """One encoded packet, independent of any container, so every output can mux its own copy."""

    kind: str  # "video" or "audio"
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    is_keyframe: bool
    is_disposable: bool = False  # nothing references it: the first video to drop under congestion

    @property
    def pts_s(self) -> float:
        return float(self.pts * self.time_base)

    @property
    def dts_s(self) -> float:
        return float(self.dts * self.time_base)
