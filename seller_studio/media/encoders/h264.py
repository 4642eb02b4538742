"""H.264 video encoding: libx264, or a hardware encoder that really works here.

Hardware encoders are probed by encoding a frame: without the hardware, nvenc and qsv may fail at
open (as on the build machines) or open and fail only at the first frame (reported elsewhere). When
one fails either way, the studio falls back to libx264 and logs which encoder it uses.
"""

from __future__ import annotations

import logging
import threading
from fractions import Fraction

import av
import cv2
import numpy as np

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.i18n import tr_noop
from seller_studio.media.encoders.base import VideoSettings, template_container, to_packets
from seller_studio.media.frames import EncodedPacket, VideoFrame, av_frame_of_i420

log = logging.getLogger(__name__)

# Encoder kind -> FFmpeg codec name, and the options that mean "CBR, low latency" for each.
H264_CODECS: dict[str, str] = {
    "x264": "libx264",
    "nvenc": "h264_nvenc",
    "qsv": "h264_qsv",
    "amf": "h264_amf",
    "vaapi": "h264_vaapi",
    "videotoolbox": "h264_videotoolbox",
}
HARDWARE_ORDER = ["nvenc", "qsv", "amf", "videotoolbox", "vaapi"]


def _options(kind: str, s: VideoSettings) -> dict[str, str]:
    if kind == "x264":
        opts = {"preset": s.preset, "forced-idr": "1",
                "x264-params": f"keyint={s.gop_frames}:min-keyint={s.gop_frames}:scenecut=0"}
        if s.strict_cbr:
            opts["nal-hrd"] = "cbr"
        else:
            # CBR by filler data without HRD signalling: x264 then follows bitrate changes.
            opts["x264-params"] += ":filler=1"
        if s.tune:
            opts["tune"] = s.tune
        if s.profile:
            opts["profile"] = s.profile
        return opts
    if kind == "nvenc":
        return {"preset": "p4", "tune": "ll", "rc": "cbr", "forced-idr": "1"}
    if kind == "qsv":
        return {"preset": "veryfast", "look_ahead": "0"}
    if kind == "amf":
        return {"usage": "lowlatency", "rc": "cbr"}
    return {}


class H264Encoder:
    def __init__(self, container: av.container.OutputContainer, kind: str, settings: VideoSettings) -> None:
        self.kind = kind
        self.codec_name = H264_CODECS[kind]
        self.settings = settings
        self.time_base = Fraction(1, settings.fps)
        self.stream = container.add_stream(self.codec_name, rate=settings.fps)
        ctx = self.stream.codec_context
        ctx.width, ctx.height = settings.width, settings.height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = self.time_base
        ctx.framerate = Fraction(settings.fps, 1)
        ctx.gop_size = settings.gop_frames
        ctx.max_b_frames = 0 if settings.tune == "zerolatency" else ctx.max_b_frames
        ctx.thread_count = settings.threads
        self._apply_bitrate(settings.bitrate_kbps)
        # CBR: maxrate = target with a one-second VBV buffer (generic codec options, read at open).
        ctx.options = {**_options(kind, settings), "maxrate": f"{settings.bitrate_kbps}k",
                       "bufsize": f"{settings.bitrate_kbps}k"}
        self.ctx = ctx
        self.bitrate_kbps = settings.bitrate_kbps
        self._pending_bitrate_kbps: int | None = None
        self._pending_lock = threading.Lock()

    def _apply_bitrate(self, kbps: int) -> None:
        # Only the target can change after open; libx264 reconfigures when it sees it change.
        # The VBV cap (maxrate/bufsize, set at open) stays at the original CBR bitrate.
        self.stream.codec_context.bit_rate = kbps * 1000

    def open(self) -> None:
        self.ctx.open()

    def probe(self) -> None:
        """Encode one black frame and flush: proves the encoder works on this machine."""
        black = np.zeros((self.settings.height * 3 // 2, self.settings.width), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(black, format="yuv420p")
        frame.pts = 0
        frame.time_base = self.time_base
        list(self.ctx.encode(frame))

    def set_bitrate_kbps(self, kbps: int) -> None:
        """Change the bitrate on the fly (dynamic bitrate); applied before the next frame."""
        with self._pending_lock:
            self._pending_bitrate_kbps = int(kbps)

    def encode(self, image: np.ndarray | VideoFrame, frame_index: int,
               force_keyframe: bool = False) -> list[EncodedPacket]:
        """Encode one canvas frame: an RGB array, or a ``VideoFrame`` (YUV goes in as it is)."""
        with self._pending_lock:  # set_bitrate_kbps may run on another thread
            pending, self._pending_bitrate_kbps = self._pending_bitrate_kbps, None
        if pending is not None:
            self._apply_bitrate(pending)
            self.bitrate_kbps = pending
        frame = self.input_frame(image)
        frame.pts = frame_index
        frame.time_base = self.time_base
        # A decoder's frame carries the type it was decoded as: only a forced keyframe may say I.
        frame.pict_type = av.video.frame.PictureType.I if force_keyframe else av.video.frame.PictureType.NONE
        return to_packets("video", self.ctx.encode(frame), self.time_base)

    def input_frame(self, image: np.ndarray | VideoFrame) -> av.VideoFrame:
        """The yuv420p frame the encoder is handed for ``image``: a decoder's own frame when the
        picture is one (no copy), the I420 planes copied in once, or RGB converted."""
        size = (self.settings.width, self.settings.height)
        if isinstance(image, VideoFrame):
            if image.size == size and image.is_yuv:
                source = image.av_frame
                if source is not None and source.format.name == "yuv420p":
                    return source
                # The composed canvas goes in as it is: libx264 copies it into its own picture.
                return av_frame_of_i420(image.i420)
            image = image.image
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        # OpenCV's RGB->I420 is BT.601 limited range like swscale's default, and several times faster.
        yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420)
        return av_frame_of_i420(yuv)

    def flush(self) -> list[EncodedPacket]:
        try:
            return to_packets("video", self.ctx.encode(None), self.time_base)
        except av.EOFError:
            return []


def open_h264(container: av.container.OutputContainer, settings: VideoSettings) -> H264Encoder:
    """Open the requested encoder; on "auto" or a failing hardware encoder, fall back to libx264."""
    wanted = settings.encoder
    if wanted not in H264_CODECS and wanted != "auto":
        raise UserError(tr_noop("unknown encoder '{wanted}' (choose from auto, {value})").format(wanted=wanted, value=', '.join(H264_CODECS)),
                        ExitCode.ENCODER_FAILED)
    candidates = HARDWARE_ORDER + ["x264"] if wanted == "auto" else [wanted] + (["x264"] if wanted != "x264" else [])
    reasons = []
    for kind in candidates:
        if H264_CODECS[kind] not in av.codecs_available:
            reasons.append(f"{kind}: not in this FFmpeg build")
            continue
        # Probe a hardware encoder in a throwaway container so a failed attempt leaves no stream
        # behind. libx264 is software: when it opens, it encodes (its probe cost 0.08 s of CPU at 1080p).
        if kind != "x264":
            try:
                probe = H264Encoder(template_container(), kind, settings)
                probe.open()
                probe.probe()
            except (av.FFmpegError, ValueError, OSError) as exc:
                reasons.append(f"{kind}: {_short(exc)}")
                continue
        try:
            encoder = H264Encoder(container, kind, settings)
            encoder.open()
        except (av.FFmpegError, ValueError, OSError) as exc:
            if kind != "x264":
                raise
            reasons.append(f"{kind}: {_short(exc)}")  # x264 is the last candidate: the error below
            continue
        if kind != wanted:
            log.info("video encoder %s unavailable (%s); using %s", wanted, "; ".join(reasons), encoder.codec_name)
        log.info("video encoder: %s %dx%d@%d %d kbps keyint %d", encoder.codec_name, settings.width,
                 settings.height, settings.fps, settings.bitrate_kbps, settings.gop_frames)
        return encoder
    raise UserError(tr_noop("no H.264 encoder works here: ") + "; ".join(reasons), ExitCode.ENCODER_FAILED)


def available_h264_encoders() -> dict[str, str]:
    """Each H.264 encoder kind and whether it really encodes here ("ok" or the reason it fails)."""
    result = {}
    for kind, codec in H264_CODECS.items():
        if codec not in av.codecs_available:
            result[kind] = "not in this FFmpeg build"
            continue
        try:
            enc = H264Encoder(template_container(), kind, VideoSettings(width=320, height=240, encoder=kind))
            enc.open()
            enc.probe()
            result[kind] = "ok"
        except (av.FFmpegError, ValueError, OSError) as exc:
            result[kind] = f"fails: {_short(exc)}"
    return result


def _short(exc: Exception) -> str:
    """FFmpeg's reason without the option dump PyAV appends (no hardware, wrong driver...)."""
    return getattr(exc, "strerror", None) or str(exc).split(":")[0]
