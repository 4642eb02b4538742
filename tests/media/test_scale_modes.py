"""Never distorted: fill / fit / stretch, measured with a circle.

A circle drawn in 4:3, 16:9 and 9:16 sources is rendered into 16:9 and 9:16 canvases; the circle that
comes out must still be a circle (width / height of its outline within 1 %) in fill and fit, and stretch
(only when asked) is shown to squash it — so the measurement can fail.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from seller_studio.media.compositor import Compositor, Layer, Rect, ScaleMode, Scene, place
from seller_studio.media.sources.overlay import ImageOverlaySource

SOURCES = {"4:3": (1024, 768), "16:9": (1280, 720), "9:16": (720, 1280)}
CANVASES = {"16:9": (1280, 720), "9:16": (720, 1280)}


def circle_source(width: int, height: int) -> ImageOverlaySource:
    image = np.zeros((height, width, 3), np.uint8)
    radius = int(min(width, height) * 0.2)
    cv2.circle(image, (width // 2, height // 2), radius, (255, 255, 255), -1, cv2.LINE_AA)
    src = ImageOverlaySource("cam")
    src.set_image(image)
    return src


def measured_aspect(image: np.ndarray) -> tuple[float, int]:
    """Width / height of the white disc, from its area-weighted extent (sub-pixel), and its width in px."""
    mask = image[:, :, 0].astype(np.float64) / 255.0
    cols, rows = mask.sum(axis=0), mask.sum(axis=1)
    # A disc's area-weighted second moments are equal along both axes; their ratio is the aspect squared.
    ys, xs = np.arange(mask.shape[0]), np.arange(mask.shape[1])
    total = mask.sum()
    cx, cy = (cols * xs).sum() / total, (rows * ys).sum() / total
    var_x, var_y = (cols * (xs - cx) ** 2).sum() / total, (rows * (ys - cy) ** 2).sum() / total
    return float(np.sqrt(var_x / var_y)), int((cols > 0.5).sum())


@pytest.mark.parametrize("canvas", list(CANVASES))
@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("mode", [ScaleMode.FILL, ScaleMode.FIT])
def test_a_circle_stays_a_circle(source, canvas, mode):
    cw, ch = CANVASES[canvas]
    comp = Compositor(cw, ch, 30, {"cam": circle_source(*SOURCES[source])})
    comp.add_scene(Scene("s", [Layer("cam", None, scale_mode=mode)]))
    aspect, width_px = measured_aspect(comp.render(0, 0.0))
    print(f"\n{mode.value:4} {source:>4} source -> {canvas:>4} canvas: circle aspect {aspect:.5f} ({width_px} px wide)")
    assert abs(aspect - 1.0) <= 0.01
    assert width_px > 50


def test_stretch_distorts_only_when_asked():
    comp = Compositor(1280, 720, 30, {"cam": circle_source(720, 1280)})
    comp.add_scene(Scene("s", [Layer("cam", None, scale_mode=ScaleMode.STRETCH)]))
    aspect, _ = measured_aspect(comp.render(0, 0.0))
    print(f"\nstretch 9:16 source -> 16:9 canvas: circle aspect {aspect:.4f}")
    assert aspect > 3.0  # 16/9 / (9/16) = 3.16: the squash the old compositor gave every layer


def test_default_is_fill_for_cameras_and_fit_for_pictures_with_alpha():
    camera, canvas = circle_source(640, 480), (1280, 720)
    comp = Compositor(*canvas, 30, {"cam": camera})
    comp.add_scene(Scene("s", [Layer("cam")]))
    out = comp.render(0, 0.0)
    assert abs(measured_aspect(out)[0] - 1) <= 0.01
    used, dest = place(640, 480, Rect(0, 0, 1280, 720), ScaleMode.FILL)
    assert dest == Rect(0, 0, 1280, 720) and used == Rect(0, 60, 640, 360)  # ...it crops top and bottom
    logo = ImageOverlaySource("logo")
    logo.set_image(np.full((100, 400, 4), 255, np.uint8))
    assert Layer("logo").effective_scale_mode(logo.frame_at(0, 0).image) == ScaleMode.FIT
    used, dest = place(400, 100, Rect(0, 0, 200, 200), ScaleMode.FIT)
    assert dest == Rect(0, 75, 200, 50)  # letterboxed, centred


def test_fit_leaves_the_layers_below_visible_in_its_bars():
    under = ImageOverlaySource("under")
    under.set_image(np.full((720, 1280, 3), (0, 0, 200), np.uint8))
    comp = Compositor(1280, 720, 30, {"under": under, "cam": circle_source(720, 1280)})
    comp.add_scene(Scene("s", [Layer("under", z=0), Layer("cam", None, z=1, scale_mode=ScaleMode.FIT)]))
    out = comp.render(0, 0.0)
    assert tuple(out[360, 10]) == (0, 0, 200)  # left bar: the layer below
    assert tuple(out[360, 640]) == (255, 255, 255)  # the circle's centre


def test_vertical_templates_keep_to_the_safe_zone():
    from seller_studio.media.compositor import picture_in_picture, side_by_side
    from seller_studio.media.layouts import safe_zone, scene_templates, title_rect

    w, h = 1080, 1920
    zone = safe_zone(w, h).rect(w, h)
    assert zone == Rect(43, 240, 907 - 43, 1344 - 240)  # 1080x1920: 240 px header, 576 px comments, 173 px buttons

    def inside(r: Rect) -> bool:
        return zone.x <= r.x and zone.y <= r.y and r.x + r.w <= zone.x + zone.w and r.y + r.h <= zone.y + zone.h

    inset = picture_in_picture("pip", "face", "product", w, h).layers[1].rect
    assert inside(inset) and inset.h > inset.w  # a portrait inset, under the header, left of the buttons
    top, bottom = (layer.rect for layer in side_by_side("both", "face", "product", w, h).layers)
    assert top == Rect(0, 0, 1080, 960) and bottom == Rect(0, 960, 1080, 960)  # stacked, not side by side
    assert inside(title_rect(w, h))
    names = [s["name"] for s in scene_templates(w, h, "camera-1", "camera-2", "text-1")]
    assert names == ["Camera", "Camera + title", "Picture in picture", "Face + product"]
    landscape = [s["name"] for s in scene_templates(1920, 1080, "camera-1", "camera-2", "text-1")]
    assert landscape[-1] == "Side by side"


def test_scale_mode_is_saved_in_the_scene_collection():
    from seller_studio.media.studio import Studio
    from seller_studio.studio.assembly import collection_to_json, default_collection, scene_from_json

    sources, scenes = default_collection(720, 1280, has_camera=False)
    studio = Studio(720, 1280, 30)
    for raw in scenes:
        studio.add_scene(scene_from_json(raw, 720, 1280))
    studio.compositor.update_layer("Camera", 0, scale_mode="fit")  # a plain string works as well
    _, saved = collection_to_json(studio, {s["id"]: s for s in sources})
    assert saved[0]["layers"][0]["scale"] == "fit"
    assert saved[1]["layers"][1]["scale"] == "fit" and saved[1]["layers"][0]["scale"] == "auto"
    again = scene_from_json(saved[0], 720, 1280)
    assert again.layers[0].scale_mode == ScaleMode.FIT


def test_turning_the_canvas_upright_lays_the_template_scenes_out_again():
    from seller_studio.media.compositor import picture_in_picture
    from seller_studio.media.layouts import title_rect
    from seller_studio.studio.assembly import default_collection, relayout_scenes

    _, scenes = default_collection(1280, 720, has_camera=True, second_camera="1")
    scenes.append({"name": "My scene", "canvas": [1280, 720], "layers": [
        {"source_id": "camera-1", "rect": [0, 0, 640, 360]}]})
    upright = {s["name"]: s for s in relayout_scenes(scenes, 720, 1280)}
    assert set(upright) == {"Camera", "Camera + title", "Picture in picture", "Face + product", "My scene"}
    inset = picture_in_picture("", "camera-1", "camera-2", 720, 1280).layers[1].rect
    assert upright["Picture in picture"]["layers"][1]["rect"] == [inset.x, inset.y, inset.w, inset.h]
    assert upright["Face + product"]["layers"][1]["rect"] == [0, 640, 720, 640]
    t = title_rect(720, 1280)
    assert upright["Camera + title"]["layers"][1]["rect"] == [t.x, t.y, t.w, t.h]
    assert upright["My scene"]["canvas"] == [1280, 720]  # the seller's own scene: kept, scaled on load
    back = {s["name"] for s in relayout_scenes(list(upright.values()), 1280, 720)}
    assert "Side by side" in back
