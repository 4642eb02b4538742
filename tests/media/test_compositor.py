"""Scenes and layers on the canvas: placement, crop, z-order, alpha, PiP, switching, late sources."""

from __future__ import annotations

import time

import numpy as np
import pytest

from seller_studio.media.compositor import (
    Compositor,
    Crop,
    Layer,
    Rect,
    Scene,
    picture_in_picture,
    side_by_side,
)
from seller_studio.media.frames import VideoFrame
from seller_studio.media.sources.overlay import ImageOverlaySource, TextSource
from seller_studio.media.sources.test_pattern import TestPatternSource


def solid(source_id: str, rgb, w=64, h=36) -> ImageOverlaySource:
    src = ImageOverlaySource(source_id)
    src.set_image(np.dstack([np.full((h, w), c, np.uint8) for c in rgb] + [np.full((h, w), 255, np.uint8)])[:, :, :4])
    return src


def opaque(source_id: str, rgb, w=64, h=36) -> ImageOverlaySource:
    src = ImageOverlaySource(source_id)
    src.set_image(np.full((h, w, 3), rgb, np.uint8))
    return src


def test_layers_are_placed_scaled_and_ordered():
    comp = Compositor(160, 90, 30, {"red": opaque("red", (255, 0, 0)), "blue": opaque("blue", (0, 0, 255))})
    comp.add_scene(Scene("s", [Layer("blue", Rect(10, 10, 20, 20), z=1), Layer("red", None, z=0)]))
    out = comp.render(0, time.monotonic())
    assert tuple(out[50, 100]) == (255, 0, 0)  # red fills the canvas
    assert tuple(out[20, 20]) == (0, 0, 255)  # blue sits on top, scaled into its rect
    assert tuple(out[35, 35]) == (255, 0, 0)


def test_crop_cuts_the_source_edges():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = (0, 255, 0)  # right half green
    src = ImageOverlaySource("img")
    src.set_image(image)
    comp = Compositor(40, 40, 30, {"img": src})
    comp.add_scene(Scene("s", [Layer("img", None, crop=Crop(left=20))]))
    out = comp.render(0, time.monotonic())
    assert out[:, :, 1].min() == 255  # only the green half remains, stretched over the canvas


def test_alpha_overlay_blends_and_hidden_layers_vanish():
    base = opaque("base", (0, 0, 0))
    card = ImageOverlaySource("card")
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:, :] = (255, 255, 255, 128)
    card.set_image(rgba)
    comp = Compositor(40, 40, 30, {"base": base, "card": card})
    comp.add_scene(Scene("s", [Layer("base"), Layer("card", Rect(0, 0, 10, 10), z=1)]))
    assert 120 <= comp.render(0, 0)[5, 5, 0] <= 135
    comp.update_layer("s", 1, is_visible=False)
    assert comp.render(1, 0)[5, 5, 0] == 0


def test_layer_dragged_partly_off_canvas_is_clipped():
    comp = Compositor(40, 40, 30, {"a": opaque("a", (9, 9, 9))})
    comp.add_scene(Scene("s", [Layer("a", Rect(30, -5, 20, 20))]))
    out = comp.render(0, 0)
    assert tuple(out[0, 35]) == (9, 9, 9) and tuple(out[0, 10]) == (0, 0, 0)


def test_two_cameras_picture_in_picture_and_side_by_side():
    left, right = opaque("cam1", (200, 0, 0)), opaque("cam2", (0, 200, 0))
    comp = Compositor(320, 180, 30, {"cam1": left, "cam2": right},
                      [picture_in_picture("pip", "cam1", "cam2", 320, 180), side_by_side("sbs", "cam1", "cam2", 320, 180)])
    comp.set_scene("pip")
    out = comp.render(0, 0)
    assert tuple(out[10, 10]) == (200, 0, 0) and tuple(out[160, 290]) == (0, 200, 0)
    comp.set_scene("sbs")
    out = comp.render(1, 0)
    assert tuple(out[90, 40]) == (200, 0, 0) and tuple(out[90, 280]) == (0, 200, 0)


def test_scene_switch_takes_effect_on_the_next_frame():
    comp = Compositor(32, 32, 30, {"a": opaque("a", (1, 1, 1)), "b": opaque("b", (2, 2, 2))},
                      [Scene("A", [Layer("a")]), Scene("B", [Layer("b")])])
    switched = []
    comp.events.subscribe(lambda name, p: switched.append(p["frame_index"]) if name == "scene_switched" else None)
    assert comp.render(0, 0)[0, 0, 0] == 1
    comp.set_scene("B")
    assert comp.active_scene == "B"
    assert comp.render(1, 0)[0, 0, 0] == 2
    assert switched == [1]


def test_renaming_the_scene_on_air_keeps_it_on_air_and_in_its_place():
    comp = Compositor(32, 32, 30, {"a": opaque("a", (1, 1, 1)), "b": opaque("b", (2, 2, 2))},
                      [Scene("A", [Layer("a")]), Scene("B", [Layer("b")]), Scene("C", [])])
    comp.set_scene("B")
    comp.render(0, 0)
    comp.rename_scene("B", "  Overhead cam ")
    assert list(comp.scenes) == ["A", "Overhead cam", "C"] and comp.scenes["Overhead cam"].name == "Overhead cam"
    assert comp.active_scene == "Overhead cam" and comp.render(1, 0)[0, 0, 0] == 2
    with pytest.raises(ValueError, match="already exists"):
        comp.rename_scene("Overhead cam", "A")
    with pytest.raises(ValueError, match="needs a name"):
        comp.rename_scene("Overhead cam", "  ")
    assert list(comp.scenes) == ["A", "Overhead cam", "C"]


def test_removing_the_scene_on_air_switches_to_its_neighbour_and_the_last_scene_stays():
    comp = Compositor(32, 32, 30, {"a": opaque("a", (1, 1, 1)), "b": opaque("b", (2, 2, 2))},
                      [Scene("A", [Layer("a")]), Scene("B", [Layer("b")])])
    switched = []
    comp.events.subscribe(lambda name, p: switched.append(p["scene"]) if name == "scene_switched" else None)
    comp.render(0, 0)
    assert comp.remove_scene("B") == "A"  # not on air: nothing switches
    comp.add_scene(Scene("B", [Layer("b")]))
    comp.set_scene("B")
    comp.render(1, 0)
    assert comp.remove_scene("B") == "A"  # on air, no right-hand neighbour: the left one
    assert comp.render(2, 0)[0, 0, 0] == 1 and switched == ["B", "A"]
    with pytest.raises(ValueError, match="last scene"):
        comp.remove_scene("A")
    assert list(comp.scenes) == ["A"]


def test_full_canvas_source_passes_through_without_a_copy():
    pattern = TestPatternSource("tp", 64, 36, 30)
    comp = Compositor(64, 36, 30, {"tp": pattern}, [Scene("s", [Layer("tp")])])
    frame = pattern.frame_at(3, 0)
    pattern.frame_at = lambda i, t: frame  # the same picture twice
    assert comp.render(3, 0) is frame.image


def test_a_test_pattern_is_drawn_once_per_tick_for_both_canvases():
    """The landscape and the vertical canvas ask for the same tick: one drawing (and one frame code,
    one moment of capture) serves both; the next tick is a new picture."""
    pattern = TestPatternSource("tp", 64, 36, 30)
    landscape = Compositor(64, 36, 30, {"tp": pattern}, [Scene("s", [Layer("tp")])])
    vertical = Compositor(36, 64, 30, {"tp": pattern}, [Scene("s", [Layer("tp")])])
    first = landscape.render_picture(7, 0.0)
    assert pattern.frame_at(7, 0.0) is first  # landscape passes it through as it is
    tall = vertical.render_picture(7, 0.0)
    assert tall.size == (36, 64) and pattern.frame_at(7, 0.0) is first
    following = pattern.frame_at(8, 0.0)
    assert following is not first and following.seq == 8
    assert not np.array_equal(following.image, first.image)  # the box moved, the frame code changed


class LateSource(ImageOverlaySource):
    """Delivers one frame, then nothing: the canvas must keep its last picture."""


def test_clock_keeps_time_when_a_source_is_late():
    late = LateSource("late")
    late.set_image(np.full((36, 64, 3), 77, np.uint8))
    comp = Compositor(64, 36, 50, {"late": late}, [Scene("s", [Layer("late")])])
    got: list[tuple[int, float]] = []
    comp.start(lambda i, img: got.append((i, float(img.mean()))), max_frames=25)
    assert comp.wait(5)
    indices = [i for i, _ in got]
    assert indices == list(range(25))  # every tick produced a frame, in order
    assert all(abs(m - 77) < 1 for _, m in got)  # repeating the last picture
    assert comp.frames_skipped_render_lag == 0


def test_text_overlay_renders_visible_text():
    text = TextSource("t", "SOLD to @ann", scale=1.0)
    frame = text.frame_at(0, 0)
    assert isinstance(frame, VideoFrame) and frame.image.shape[2] == 4
    assert (frame.image[:, :, 0] > 200).sum() > 50  # white glyph pixels
