"""The one video source factory: kinds by name, and the SPEC strings the command line accepts.

``make_source(kind, id, spec, ...)`` creates (does not start) a source of a kind: test-pattern,
camera, video-file, image, text or break-board (a break's board, fed by the studio). The window's scene collection stores the kind beside each spec;
the command line's SPEC (``test-pattern``, a camera index or name, or a path to a video or image
file) is turned into a kind by ``kind_of_spec``. Both go through ``studio/assembly.py``.
"""

from __future__ import annotations

from pathlib import Path

from seller_studio.common.errors import UserError
from seller_studio.i18n import tr_noop
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.break_board import BreakBoardSource
from seller_studio.media.sources.camera import CameraSource
from seller_studio.media.sources.image import ImageSource
from seller_studio.media.sources.overlay import ImageOverlaySource, TextSource
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.sources.video_file import VideoFileSource

SOURCE_KINDS: dict[str, type[VideoSource]] = {
    cls.kind: cls
    for cls in (TestPatternSource, CameraSource, VideoFileSource, ImageSource, ImageOverlaySource, TextSource,
                BreakBoardSource)
}

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
# A spec ending like a video file names a file even when it is missing: its error is then "a media
# file cannot be read" (exit 18), not "camera not found" (13). Camera names and /dev/videoN do not end so.
VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".webm", ".avi", ".y4m", ".flv", ".ts", ".m4v", ".mpg", ".mpeg"}


def kind_of_spec(spec: str) -> str:
    """The kind a command-line SPEC names: test-pattern, image, video-file or camera."""
    if spec in ("test-pattern", "testpattern", "pattern"):
        return "test-pattern"
    path = Path(spec)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "image"
    if (path.exists() and path.is_file()) or path.suffix.lower() in VIDEO_SUFFIXES:
        return "video-file"
    return "camera"


def make_source(kind: str, source_id: str, spec: str, width: int, height: int, fps: float) -> VideoSource:
    """Create (not start) a source; UserError with one line for an unknown kind."""
    if kind == "test-pattern":
        return TestPatternSource(source_id, width, height, fps)
    if kind == "camera":
        return CameraSource(source_id, spec, width, height, fps)
    if kind == "video-file":
        return VideoFileSource(source_id, spec)
    if kind == "image":
        return ImageSource(source_id, spec)
    if kind == "text":
        return TextSource(source_id, spec, scale=max(0.6, width / 1280))
    if kind == "break-board":
        return BreakBoardSource(source_id, width, height)
    raise UserError(tr_noop('unknown source kind {kind!r}').format(kind=kind))


def source_from_spec(source_id: str, spec: str, width: int, height: int, fps: float) -> VideoSource:
    return make_source(kind_of_spec(spec), source_id, spec, width, height, fps)
