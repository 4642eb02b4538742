"""Camera modes: what a camera can deliver (size x fps x pixel format) and which mode the studio asks for.

A USB webcam typically gives 1280x720 and 1920x1080 at 30 fps only as MJPEG; as raw YUYV the same
sizes come at 5-10 fps, and OpenCV's V4L2 backend picks YUYV unless told otherwise. So the studio
reads the camera's modes, picks the one that gives the asked size at the asked fps (a raw format when
it reaches the fps, MJPEG when only MJPEG does), and says in one plain sentence when the camera cannot
give what was asked, with the sizes that would work.

Listing modes: Linux reads them with the V4L2 ioctls (``media/sources/v4l2.py``), falling back to
parsing ``v4l2-ctl --list-formats-ext``. Windows and macOS list names through the
``cv2-enumerate-cameras`` package; their drivers offer no mode list to OpenCV, so there the studio asks
for MJPEG at the size and fps and reports what the driver gave (``OpenReport``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from seller_studio.i18n import tr_noop

# Pixel formats OpenCV's capture backends turn into BGR themselves. H.264 from a camera (the C920 has it)
# is left out: OpenCV's V4L2 backend does not decode it.
RAW_FORMATS = ("YUYV", "YUY2", "UYVY", "NV12", "NV21", "YU12", "YV12", "I420", "RGB3", "BGR3", "GREY", "Y800")
COMPRESSED_FORMATS = ("MJPG", "JPEG")
USABLE_FORMATS = RAW_FORMATS + COMPRESSED_FORMATS
FPS_TOLERANCE = 0.5  # 29.97 counts as 30

# Sizes tried on a camera whose driver reports a size range instead of a list.
COMMON_SIZES = ((3840, 2160), (2560, 1440), (1920, 1080), (1600, 900), (1280, 960), (1280, 720),
                (1024, 768), (960, 540), (800, 600), (640, 480), (640, 360), (320, 240))


@dataclass(frozen=True)
class CameraMode:
    width: int
    height: int
    fps: float  # the highest rate of this size and format; 0.0 when the driver does not say
    pixel_format: str  # the V4L2 / FOURCC code: YUYV, MJPG, NV12, ...

    @property
    def is_compressed(self) -> bool:
        return self.pixel_format in COMPRESSED_FORMATS

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def label(self) -> str:
        rate = f"{self.fps:g} fps" if self.fps else "fps unknown"
        return f"{self.width}x{self.height} {rate} {self.pixel_format}"


@dataclass
class CameraInfo:
    """One camera as listed: what to open (index or path), its name, and its modes when known."""

    index: int
    name: str
    path: str
    backend: str = ""  # "v4l2", "dshow", "avfoundation", ...
    modes: list[CameraMode] = field(default_factory=list)
    modes_note: str = ""  # why modes are missing, in plain words

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "path": self.path, "backend": self.backend,
                "modes": [asdict(m) for m in self.modes], "modes_note": self.modes_note}


@dataclass(frozen=True)
class ModeChoice:
    """The mode the studio asks the camera for, why, and (when it falls short of the ask) the fix."""

    asked: tuple[int, int, float]
    mode: CameraMode | None  # None: the modes are unknown (ask and see what comes)
    fourcc: str  # what CAP_PROP_FOURCC is set to before size and fps; "" leaves the driver's default
    reason: str
    advice: str = ""  # one sentence for the seller when the camera cannot give what was asked

    @property
    def is_exact(self) -> bool:
        if self.mode is None:
            return False
        w, h, fps = self.asked
        return self.mode.size == (w, h) and self.mode.fps + FPS_TOLERANCE >= fps


# -- v4l2-ctl --list-formats-ext -----------------------------------------------------------------
_FORMAT_NEW = re.compile(r"^\s*\[\d+\]:\s*'([^']{1,4})'")
_FORMAT_OLD = re.compile(r"^\s*Pixel Format\s*:\s*'([^']{1,4})'")
_SIZE_DISCRETE = re.compile(r"^\s*Size:\s*Discrete\s+(\d+)x(\d+)")
_SIZE_RANGE = re.compile(r"^\s*Size:\s*(?:Stepwise|Continuous)\s+(\d+)x(\d+)\s*-\s*(\d+)x(\d+)")
_IVAL_DISCRETE = re.compile(r"^\s*Interval:\s*Discrete\s+[\d.]+s\s*\(([\d.]+)\s*fps\)")
_IVAL_RANGE = re.compile(r"^\s*Interval:\s*(?:Stepwise|Continuous)\s+([\d.]+)s\s*-")


def parse_v4l2_ctl(text: str) -> list[CameraMode]:
    """Modes from ``v4l2-ctl --list-formats-ext`` output (old and new layouts; comment lines ignored).

    Each (format, size) becomes one mode at its highest frame rate: the studio sets the rate it wants
    and the driver picks the nearest interval of that size.
    """
    modes: list[CameraMode] = []
    fmt = ""
    sizes: list[tuple[int, int]] = []
    rates: list[float] = []

    def flush() -> None:
        for w, h in sizes:
            modes.append(CameraMode(w, h, max(rates, default=0.0), fmt))

    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _FORMAT_NEW.match(line) or _FORMAT_OLD.match(line)
        if m:
            flush()
            fmt, sizes, rates = m.group(1).strip(), [], []
            continue
        m = _SIZE_DISCRETE.match(line)
        if m and fmt:
            flush()
            sizes, rates = [(int(m.group(1)), int(m.group(2)))], []
            continue
        m = _SIZE_RANGE.match(line)
        if m and fmt:
            flush()
            min_w, min_h, max_w, max_h = (int(g) for g in m.groups())
            sizes = [(w, h) for w, h in COMMON_SIZES if min_w <= w <= max_w and min_h <= h <= max_h]
            rates = []
            continue
        m = _IVAL_DISCRETE.match(line)
        if m and sizes:
            rates.append(float(m.group(1)))
            continue
        m = _IVAL_RANGE.match(line)
        if m and sizes and float(m.group(1)) > 0:
            rates.append(round(1.0 / float(m.group(1)), 3))
    flush()
    return modes


# -- the choice ------------------------------------------------------------------------------------
def _reaches(mode: CameraMode, fps: float) -> bool:
    return mode.fps + FPS_TOLERANCE >= fps


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] * b[1] - a[1] * b[0]) <= 0.02 * a[1] * b[1] * max(a[0] / a[1], 1)


def _preferred(candidates: list[CameraMode], fps: float) -> CameraMode:
    """Among modes of one size: raw when raw reaches the fps (no decode cost), else MJPEG; the rate
    nearest above the ask."""
    raw = [m for m in candidates if not m.is_compressed and _reaches(m, fps)]
    pool = raw or [m for m in candidates if _reaches(m, fps)] or candidates
    return min(pool, key=lambda m: (not _reaches(m, fps), m.fps if _reaches(m, fps) else -m.fps, m.is_compressed))


def choose_mode(modes: list[CameraMode], width: int, height: int, fps: float) -> ModeChoice:
    """The mode that gives ``width``x``height`` at ``fps``, or the closest thing with a sentence saying so."""
    asked = (width, height, float(fps))
    usable = [m for m in modes if m.pixel_format in USABLE_FORMATS]
    if not usable:
        return ModeChoice(asked, None, "MJPG", "the camera's modes are not known here: asking for MJPEG at "
                          f"{width}x{height} {fps:g} fps (most USB webcams reach 30 fps only as MJPEG)")
    at_size = [m for m in usable if m.size == (width, height)]
    if any(_reaches(m, fps) for m in at_size):
        mode = _preferred(at_size, fps)
        raw_best = max((m.fps for m in at_size if not m.is_compressed), default=0.0)
        if mode.is_compressed and raw_best:
            why = f"raw video gives only {raw_best:g} fps at {width}x{height}; MJPEG gives {mode.fps:g}"
        elif mode.is_compressed:
            why = f"the camera gives {width}x{height} only as MJPEG"
        else:
            why = f"raw {mode.pixel_format} reaches {mode.fps:g} fps at {width}x{height} (no decoding needed)"
        return ModeChoice(asked, mode, mode.pixel_format, why)

    full_rate = [m for m in usable if _reaches(m, fps)]
    fits = sorted({m.size for m in full_rate if _same_shape(m.size, (width, height)) and m.width <= width},
                  key=lambda s: -s[0] * s[1])
    alternatives = " or ".join(f"{w}x{h}" for w, h in fits[:2])
    if at_size:  # the size exists, but not at this rate: keep the size, say what gives the rate
        mode = _preferred(at_size, fps)
        fix = (_choose_sizes(fits[:2], fps) if alternatives
               else tr_noop("choose {fps} fps in Settings > Video").format(fps=f"{mode.fps:g}"))
        advice = tr_noop("This camera gives {fps} fps at {size} — {fix}.").format(
            fps=f"{mode.fps:g}", size=f"{width}x{height}", fix=fix)
        return ModeChoice(asked, mode, mode.pixel_format,
                          f"{width}x{height} is offered at {mode.fps:g} fps at most ({mode.pixel_format})", advice)

    # The size is not offered: the smallest size that covers it at full rate (scaled down), else the largest.
    if full_rate:
        covering = [m for m in full_rate if m.width >= width and m.height >= height]
        if covering:
            best_size = min((m.size for m in covering), key=lambda s: (s[0] * s[1], not _same_shape(s, (width, height))))
        else:
            best_size = max((m.size for m in full_rate), key=lambda s: (_same_shape(s, (width, height)), s[0] * s[1]))
        mode = _preferred([m for m in full_rate if m.size == best_size], fps)
        if covering:
            return ModeChoice(asked, mode, mode.pixel_format,
                              f"{width}x{height} is not offered; {mode.label} covers it and is scaled down")
        template = (tr_noop("This camera's largest picture at {fps} fps is {largest}; it is scaled up to {size} — "
                            "for a sharper picture use a camera that has {size}.")
                    if _same_shape(mode.size, (width, height)) else
                    tr_noop("This camera's largest picture at {fps} fps is {largest} (another shape: it is cropped to "
                            "fill); it is scaled up to {size} — for a sharper picture use a camera that has {size}."))
        advice = template.format(fps=f"{fps:g}", largest=f"{mode.width}x{mode.height}", size=f"{width}x{height}")
        return ModeChoice(asked, mode, mode.pixel_format,
                          f"{width}x{height} is not offered; the largest mode at {fps:g} fps is {mode.label}", advice)
    fastest = max(usable, key=lambda m: (m.fps, m.width * m.height))
    advice = tr_noop("This camera gives at most {fps} fps ({size}) — choose {fps} fps in Settings > Video.").format(
        fps=f"{fastest.fps:g}", size=f"{fastest.width}x{fastest.height}")
    return ModeChoice(asked, fastest, fastest.pixel_format, f"no mode reaches {fps:g} fps", advice)


def _choose_sizes(sizes: list[tuple[int, int]], fps: float) -> str:
    """ "choose 1280x720 or 960x540 for 30 fps" (one or two sizes), a template per count so it translates."""
    names = [f"{w}x{h}" for w, h in sizes]
    if len(names) == 1:
        return tr_noop("choose {size} for {fps} fps").format(size=names[0], fps=f"{fps:g}")
    return tr_noop("choose {size} or {other} for {fps} fps").format(size=names[0], other=names[1], fps=f"{fps:g}")


def shortfall_sentence(asked: tuple[int, int, float], delivered: tuple[int, int, float],
                       modes: list[CameraMode] | None = None) -> str:
    """One plain sentence when the camera delivers less than asked (fewer fps or a smaller picture), else ""."""
    w, h, fps = asked
    dw, dh, dfps = delivered
    if dw * dh and (dw < w or dh < h):
        return tr_noop("This camera gives {given}, not {asked}: the picture is scaled up — choose {given} "
                       "in Settings > Video or use a camera that has {asked}.").format(given=f"{dw}x{dh}", asked=f"{w}x{h}")
    if dfps and dfps + FPS_TOLERANCE < fps * 0.9:
        fits = sorted({m.size for m in modes or [] if _reaches(m, fps) and m.pixel_format in USABLE_FORMATS
                       and m.width < dw and _same_shape(m.size, (w, h))}, key=lambda s: -s[0] * s[1])
        fix = (_choose_sizes(fits[:2], fps) if fits
               else tr_noop("choose a smaller size or a lower frame rate in Settings > Video"))
        return tr_noop("This camera gives {fps} fps at {size} — {fix}.").format(fps=f"{dfps:g}", size=f"{dw}x{dh}", fix=fix)
    return ""


def fourcc_code(text: str) -> int:
    """The integer OpenCV's CAP_PROP_FOURCC takes for a 4-letter code."""
    text = (text + "    ")[:4]
    return ord(text[0]) | ord(text[1]) << 8 | ord(text[2]) << 16 | ord(text[3]) << 24


def fourcc_text(value: float) -> str:
    code = int(value)
    if code <= 0:
        return ""
    return "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")


def sizes_offered(modes: list[CameraMode], fps: float) -> list[tuple[int, int]]:
    """Sizes that reach ``fps`` in a usable format, largest first (for the Settings and wizard lists)."""
    return sorted({m.size for m in modes if m.pixel_format in USABLE_FORMATS and _reaches(m, fps)},
                  key=lambda s: -s[0] * s[1])
