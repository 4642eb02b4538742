"""What flows between the media stages.

Pictures stay in the format their source gives them: a camera or a file delivers planar YUV 4:2:0
(I420: BT.601 limited range, as the encoder wants it), a title or a card RGBA, the test pattern RGB.
A ``VideoFrame`` converts to the other form only when someone asks, once, and keeps the result, so
YUV goes from capture to encoder untouched where it can (issue 16) while every reader of
``frame.image`` still gets RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np


def i420_planes(planar: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y (HxW), U and V (H/2 x W/2) planes of one contiguous (H*3/2) x W I420 array."""
    flat = planar.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return (flat[:luma].reshape(height, width), flat[luma:luma + chroma].reshape(height // 2, width // 2),
            flat[luma + chroma:luma + 2 * chroma].reshape(height // 2, width // 2))


def av_planes(av_frame: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V views of a PyAV yuv420p frame's own buffers (rows may be padded: cut to the width).
    A view keeps the frame alive."""
    views = []
    for plane in av_frame.planes[:3]:
        rows = np.frombuffer(plane, np.uint8)[: plane.line_size * plane.height].reshape(plane.height, plane.line_size)
        rows.flags.writeable = False  # the decoder's picture, maybe shown elsewhere too: read only
        views.append(rows[:, : plane.width])
    return views[0], views[1], views[2]


def av_frame_of_i420(planar: np.ndarray) -> Any:
    """A PyAV yuv420p frame over a contiguous I420 array's memory, without a copy (the frame holds
    the array until the encoder lets it go)."""
    import av

    return av.VideoFrame.from_numpy_buffer(planar, format="yuv420p")


class VideoFrame:
    """A picture from a source: HxWx3 RGB or HxWx4 RGBA (``image``), or planar I420 (``i420``).

    Whichever form it was made in is kept as is; the other is converted on first use and cached.
    ``av_frame`` is the decoder's own frame when the picture came from PyAV in yuv420p: the encoder
    takes it without a copy when the picture fills the canvas unchanged.
    """

    __slots__ = ("_image", "_i420", "_rgb", "av_frame", "capture_time_s", "seq", "width", "height")

    def __init__(self, image: np.ndarray, capture_time_s: float, seq: int = 0) -> None:
        self._image: np.ndarray | None = image
        self._i420: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self.av_frame: Any = None
        self.capture_time_s = capture_time_s  # time.monotonic() when captured/produced
        self.seq = seq  # the source's own counter; repeats of the same frame keep the same seq
        self.height, self.width = int(image.shape[0]), int(image.shape[1])

    @classmethod
    def from_i420(cls, planar: np.ndarray | None, width: int, height: int, capture_time_s: float, seq: int = 0,
                  av_frame: Any = None) -> VideoFrame:
        """A YUV picture: ``planar`` is (H*3/2) x W uint8 (Y, then U, then V), or None with ``av_frame``
        (a PyAV yuv420p frame) to copy the planes out only if someone needs them."""
        if width % 2 or height % 2:
            raise ValueError(f"an I420 picture needs even sizes, not {width}x{height}")
        frame = cls.__new__(cls)
        frame._image = None
        frame._i420 = planar
        frame._rgb = None
        frame.av_frame = av_frame
        frame.capture_time_s, frame.seq = capture_time_s, seq
        frame.width, frame.height = width, height
        return frame

    @classmethod
    def from_av(cls, av_frame: Any, capture_time_s: float, seq: int = 0) -> VideoFrame:
        """A decoded PyAV frame, kept in YUV (converted to yuv420p first when it is not)."""
        if av_frame.format.name != "yuv420p" or av_frame.width % 2 or av_frame.height % 2:
            av_frame = av_frame.reformat(width=av_frame.width // 2 * 2, height=av_frame.height // 2 * 2,
                                         format="yuv420p")
        return cls.from_i420(None, av_frame.width, av_frame.height, capture_time_s, seq, av_frame)

    @property
    def is_yuv(self) -> bool:
        """Made in I420 (``image`` is then a conversion)."""
        return self._image is None

    @property
    def has_alpha(self) -> bool:
        return self._image is not None and self._image.ndim == 3 and self._image.shape[2] == 4

    @property
    def native(self) -> Any:
        """The data the frame was made of (identity of the picture for caches)."""
        if self._image is not None:
            return self._image
        return self._i420 if self._i420 is not None else self.av_frame

    @property
    def image(self) -> np.ndarray:
        """HxWx3 RGB (or HxWx4 RGBA when made so); a YUV frame is converted once, on first use."""
        if self._image is not None:
            return self._image
        if self._rgb is None:
            self._rgb = cv2.cvtColor(self.i420, cv2.COLOR_YUV2RGB_I420)
        return self._rgb

    @property
    def i420(self) -> np.ndarray:
        """(H*3/2) x W planar I420; an RGB frame is converted once (alpha ignored), on first use."""
        if self._i420 is None:
            if self.av_frame is not None:
                self._i420 = self.av_frame.to_ndarray(format="yuv420p")
            else:
                rgb = self._image
                assert rgb is not None
                if rgb.ndim == 3 and rgb.shape[2] == 4:
                    rgb = rgb[:, :, :3]
                if self.width % 2 or self.height % 2:
                    rgb = rgb[: self.height // 2 * 2, : self.width // 2 * 2]
                self._i420 = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
        return self._i420

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Y, U, V views: of a decoder's frame itself when the picture is one (no copy: the
        compositor reads a camera's planes where the decoder left them), else of ``i420``."""
        if self._i420 is None and self.av_frame is not None:
            return av_planes(self.av_frame)
        return i420_planes(self.i420, self.width // 2 * 2, self.height // 2 * 2)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def scaled_rgb(self, width: int, height: int) -> np.ndarray:
        """The picture as RGB at ``width`` x ``height`` (a preview): a YUV frame is scaled in YUV
        first and converted at the small size."""
        if not self.is_yuv or (width, height) == (self.width, self.height) or width % 2 or height % 2:
            rgb = self.image[:, :, :3]
            if (rgb.shape[1], rgb.shape[0]) == (width, height):
                return rgb
            interpolation = cv2.INTER_AREA if rgb.shape[1] > width else cv2.INTER_LINEAR
            return cv2.resize(rgb, (width, height), interpolation=interpolation)
        interpolation = cv2.INTER_AREA if self.width > width else cv2.INTER_LINEAR
        small = np.empty((height * 3 // 2, width), np.uint8)
        for src, dst in zip(self.planes(), i420_planes(small, width, height), strict=True):
            cv2.resize(src, (dst.shape[1], dst.shape[0]), dst=dst, interpolation=interpolation)
        return cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420)

    def __repr__(self) -> str:
        kind = "i420" if self.is_yuv else ("rgba" if self.has_alpha else "rgb")
        return f"VideoFrame({self.width}x{self.height} {kind}, seq={self.seq})"


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

    # Integer arithmetic then one division: the same correctly rounded float as float(Fraction), without
    # making Fractions (several per packet, in the encoder and every output's thread).
    @property
    def pts_s(self) -> float:
        return self.pts * self.time_base.numerator / self.time_base.denominator

    @property
    def dts_s(self) -> float:
        return self.dts * self.time_base.numerator / self.time_base.denominator
