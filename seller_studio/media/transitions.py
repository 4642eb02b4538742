"""Scene transitions on the program: a cut (the next frame is the new scene) or a fade (the old scene
dissolves into the new one over a duration), as Studio Mode's Cut and Fade buttons ask.

Plain code on frames so it is tested without a window: the compositor keeps one ``Fade`` while it
runs and asks ``progress`` and ``blend`` for each frame it renders. Progress counts canvas frames,
not wall time, so a fade lasts the same on the stream whatever the machine's load.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_FADE_MS = 5000  # a longer dissolve is not a transition any more


def blend(old: np.ndarray, new: np.ndarray, progress: float) -> np.ndarray:
    """``old`` dissolved into ``new``: 0 is all old, 1 all new (a new array, the inputs stay)."""
    progress = min(1.0, max(0.0, progress))
    if old.shape != new.shape:
        return new.copy()
    return cv2.addWeighted(old, 1.0 - progress, new, progress, 0.0)


@dataclass
class Fade:
    """A dissolve from ``from_scene`` to ``to_scene`` over ``frames`` canvas frames. The first frame
    rendered with it sets ``start_index``; the last frame (progress 1) is the new scene alone."""

    from_scene: str
    to_scene: str
    frames: int
    start_index: int | None = None

    @classmethod
    def for_duration(cls, from_scene: str, to_scene: str, duration_ms: int, fps: float) -> Fade:
        if not 0 < duration_ms <= MAX_FADE_MS:
            raise ValueError(f"a fade lasts 1-{MAX_FADE_MS} ms, not {duration_ms}")
        return cls(from_scene, to_scene, max(1, round(duration_ms / 1000 * fps)))

    def progress(self, frame_index: int) -> float:
        """How far the fade is at ``frame_index`` (0 < p <= 1; the first frame already moves)."""
        if self.start_index is None:
            self.start_index = frame_index
        return min(1.0, (frame_index - self.start_index + 1) / self.frames)
