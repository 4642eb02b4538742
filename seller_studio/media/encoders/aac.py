"""AAC audio: 48 kHz stereo, 160 kbps, 1024-sample frames, timestamps in samples."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from seller_studio.media.encoders.base import AudioSettings, to_packets
from seller_studio.media.frames import EncodedPacket

FRAME_SAMPLES = 1024


class AacEncoder:
    codec_name = "aac"

    def __init__(self, container: av.container.OutputContainer, settings: AudioSettings) -> None:
        self.settings = settings
        self.time_base = Fraction(1, settings.sample_rate)
        self.stream = container.add_stream("aac", rate=settings.sample_rate)
        ctx = self.stream.codec_context
        ctx.layout = "stereo"
        ctx.format = "fltp"
        ctx.bit_rate = settings.bitrate_kbps * 1000
        ctx.time_base = self.time_base
        self.ctx = ctx
        self.samples_encoded = 0
        self._pending_bitrate_kbps: int | None = None  # set on any thread, applied before the next frame

    def set_bitrate_kbps(self, kbps: int) -> None:
        """Dynamic bitrate on a thin uplink: FFmpeg's AAC encoder follows bit_rate frame by frame."""
        self._pending_bitrate_kbps = int(kbps)

    def open(self) -> None:
        self.ctx.open()

    def encode(self, samples: np.ndarray) -> list[EncodedPacket]:
        """Encode interleaved (n, 2) float32 samples; n must be a multiple of 1024."""
        pending, self._pending_bitrate_kbps = self._pending_bitrate_kbps, None
        if pending is not None and pending * 1000 != self.ctx.bit_rate:
            self.ctx.bit_rate = pending * 1000
        packets: list[EncodedPacket] = []
        for start in range(0, len(samples), FRAME_SAMPLES):
            block = samples[start : start + FRAME_SAMPLES]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T), format="fltp", layout="stereo")
            frame.sample_rate = self.settings.sample_rate
            frame.pts = self.samples_encoded
            frame.time_base = self.time_base
            self.samples_encoded += len(block)
            packets += to_packets("audio", self.ctx.encode(frame), self.time_base)
        return packets

    def flush(self) -> list[EncodedPacket]:
        try:
            return to_packets("audio", self.ctx.encode(None), self.time_base)
        except av.EOFError:
            return []
