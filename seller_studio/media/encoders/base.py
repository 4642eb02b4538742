"""Encoder settings and the shared encoder interface.

Each encoder owns a PyAV stream inside a private "template" container: that gives it a codec
context with the container's global-header flag set and, once opened, codec parameters (SPS/PPS,
AudioSpecificConfig) that every output copies with ``add_stream_from_template``. The packets are
encoded once and muxed by every output: no second encode for the recording.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av

from seller_studio.media.frames import EncodedPacket


@dataclass
class VideoSettings:
    width: int = 1280
    height: int = 720
    fps: int = 30
    bitrate_kbps: int = 2500
    keyframe_interval_s: float = 2.0
    preset: str = "veryfast"
    tune: str | None = "zerolatency"
    encoder: str = "x264"  # x264, auto, nvenc, qsv, amf, vaapi, videotoolbox
    threads: int = 0  # 0: the encoder decides (all cores)
    # CBR with HRD signalling (x264 nal-hrd=cbr). x264 then ignores bitrate changes, so a session
    # whose stream adapts its bitrate turns it off and gets CBR from filler data instead.
    strict_cbr: bool = True
    # H.264 profile to ask for (None: the encoder's default). A WHIP output makes the session ask
    # for "baseline": WebRTC peers negotiate (constrained) baseline and no B-frames.
    profile: str | None = None

    @property
    def gop_frames(self) -> int:
        return max(1, round(self.fps * self.keyframe_interval_s))


@dataclass
class AudioSettings:
    sample_rate: int = 48000
    channels: int = 2
    bitrate_kbps: int = 160


def template_container() -> av.container.OutputContainer:
    """A container that is never written anywhere; it only hosts the encoders' streams."""
    return av.open(io.BytesIO(), "w", format="matroska")


def to_packets(kind: str, packets, time_base: Fraction) -> list[EncodedPacket]:
    out = []
    for p in packets:
        if p.size == 0:
            continue
        out.append(EncodedPacket(kind, bytes(p), int(p.pts), int(p.dts if p.dts is not None else p.pts),
                                 p.time_base or time_base, bool(p.is_keyframe), bool(p.is_disposable)))
    return out
