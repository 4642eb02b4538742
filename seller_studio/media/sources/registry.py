"""Video source kinds by name, and the SPEC strings the CLI accepts.

SPEC: ``test-pattern``, a camera index or name, or a path to a video or image file.
"""

from __future__ import annotations

from pathlib import Path

from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.camera import CameraSource
from seller_studio.media.sources.image import ImageSource
from seller_studio.media.sources.overlay import ImageOverlaySource, TextSource
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.sources.video_file import VideoFileSource

SOURCE_KINDS: dict[str, type[VideoSource]] = {
    cls.kind: cls
    for cls in (TestPatternSource, CameraSource, VideoFileSource, ImageSource, ImageOverlaySource, TextSource)
}

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


def source_from_spec(source_id: str, spec: str, width: int, height: int, fps: float) -> VideoSource:
    if spec in ("test-pattern", "testpattern", "pattern"):
        return TestPatternSource(source_id, width, height, fps)
    path = Path(spec)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(source_id, path)
    if path.exists() and path.is_file():
        return VideoFileSource(source_id, path)
    return CameraSource(source_id, spec, width, height, fps)
