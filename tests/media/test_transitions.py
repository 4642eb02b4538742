"""Studio Mode on the compositor: a fade dissolves the program from one scene to the next over the
asked duration, a cut is the next frame, and the preview scene renders without touching the program."""

from __future__ import annotations

import time

import numpy as np
import pytest

from seller_studio.media.compositor import Compositor, Layer, Scene
from seller_studio.media.sources.overlay import ImageOverlaySource
from seller_studio.media.transitions import Fade, blend


def opaque(source_id: str, value: int, w: int = 32, h: int = 18) -> ImageOverlaySource:
    src = ImageOverlaySource(source_id)
    src.set_image(np.full((h, w, 3), value, np.uint8))
    return src


def two_scenes(fps: float = 10) -> Compositor:
    return Compositor(32, 18, fps, {"dark": opaque("dark", 0), "light": opaque("light", 200)},
                      [Scene("Dark", [Layer("dark")]), Scene("Light", [Layer("light")])])


def test_blend_goes_from_old_to_new():
    old, new = np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 200, np.uint8)
    assert blend(old, new, 0.0).max() == 0
    assert blend(old, new, 1.0).min() == 200
    assert blend(old, new, 0.25)[0, 0, 0] == 50
    assert old.max() == 0 and new.min() == 200  # the inputs are left as they were


def test_fade_length_follows_the_duration_and_refuses_nonsense():
    assert Fade.for_duration("A", "B", 500, 30).frames == 15
    assert Fade.for_duration("A", "B", 10, 30).frames == 1  # shorter than a frame: a cut
    for bad in (0, -5, 60_000):
        with pytest.raises(ValueError, match="fade lasts"):
            Fade.for_duration("A", "B", bad, 30)


def test_fade_dissolves_the_program_frame_by_frame_then_holds_the_new_scene():
    comp = two_scenes(fps=10)
    assert comp.render(0, 0)[0, 0, 0] == 0
    comp.set_scene("Light", fade_ms=500)  # 5 frames at 10 fps
    assert comp.active_scene == "Light" and comp.is_fading
    levels = [int(comp.render(i, 0)[0, 0, 0]) for i in range(1, 8)]
    assert levels[:5] == [40, 80, 120, 160, 200], levels
    assert levels[5:] == [200, 200]
    assert not comp.is_fading


def test_a_cut_is_the_next_frame():
    comp = two_scenes()
    comp.render(0, 0)
    comp.set_scene("Light")
    assert comp.render(1, 0)[0, 0, 0] == 200 and not comp.is_fading


def test_preview_scene_renders_off_air_and_the_program_is_unchanged():
    comp = two_scenes(fps=30)
    comp.set_preview_scene("Light")
    frames: list[int] = []
    comp.start(lambda index, image: frames.append(int(image[0, 0, 0])))
    deadline = time.monotonic() + 5
    while (comp.preview_frame() is None or len(frames) < 6) and time.monotonic() < deadline:
        time.sleep(0.02)
    comp.stop()
    preview = comp.preview_frame()
    assert preview is not None and preview[1][0, 0, 0] == 200  # the preview shows the next scene
    assert frames and set(frames) == {0}  # the program stayed on the scene on air
    comp.set_preview_scene(None)
    assert comp.preview_frame() is None
    with pytest.raises(KeyError):
        comp.set_preview_scene("Nope")


def test_removing_or_renaming_the_preview_scene_keeps_the_preview_on_a_real_scene():
    comp = two_scenes()
    comp.add_scene(Scene("Third", []))
    comp.set_preview_scene("Light")
    comp.rename_scene("Light", "Bright")
    assert comp.preview_scene == "Bright"
    comp.remove_scene("Bright")
    assert comp.preview_scene == "Third" and comp.active_scene == "Dark"


def test_the_scene_going_off_air_keeps_moving_during_the_fade():
    """A camera fading out is live, not frozen on its last picture: the dissolve's old half follows it."""
    comp = two_scenes(fps=10)
    comp.render(0, 0)
    comp.set_scene("Light", fade_ms=1000)  # 10 frames
    seen = []
    for i, dark_level in zip(range(1, 6), (0, 50, 100, 150, 200), strict=True):
        comp.sources["dark"].set_image(np.full((18, 32, 3), dark_level, np.uint8))  # the outgoing camera moves
        seen.append(int(comp.render(i, 0)[0, 0, 0]))
    # progress p = i / 10: old * (1 - p) + 200 * p with the outgoing scene as it is at that frame
    expected = [round(old * (1 - i / 10) + 200 * i / 10) for i, old in zip(range(1, 6), (0, 50, 100, 150, 200),
                                                                           strict=True)]
    assert all(abs(a - b) <= 1 for a, b in zip(seen, expected, strict=True)), (seen, expected)
