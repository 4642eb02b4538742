"""Layouts that depend on the canvas's shape: the phone apps' safe zone, and where titles, the
product card and scene templates go on a landscape or a vertical (9:16) canvas.

Most live-shopping buyers watch on phones, where the app draws over the picture: the account name
and viewer count across the top, the comments and the buy bar over the bottom third, the action
buttons down the right edge. The fractions below follow the common creator guides for 1080x1920
(about 240 px top, 580 px bottom, 170 px right); landscape keeps the broadcast title-safe 5 % margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from seller_studio.media.compositor import Layer, Rect, Scene

VERTICAL_SIZES: list[tuple[int, int]] = [(1080, 1920), (720, 1280)]


def is_vertical(width: int, height: int) -> bool:
    return height > width


@dataclass(frozen=True)
class SafeZone:
    """Fractions of the canvas along each edge that the viewer's app may cover."""

    top: float
    bottom: float
    left: float
    right: float

    def rect(self, width: int, height: int) -> Rect:
        """The part of a ``width`` x ``height`` canvas nothing covers."""
        x, y = round(width * self.left), round(height * self.top)
        return Rect(x, y, round(width * (1 - self.right)) - x, round(height * (1 - self.bottom)) - y)


VERTICAL_SAFE_ZONE = SafeZone(top=0.125, bottom=0.30, left=0.04, right=0.16)
LANDSCAPE_SAFE_ZONE = SafeZone(top=0.05, bottom=0.05, left=0.05, right=0.05)


def safe_zone(width: int, height: int) -> SafeZone:
    return VERTICAL_SAFE_ZONE if is_vertical(width, height) else LANDSCAPE_SAFE_ZONE


def title_rect(width: int, height: int) -> Rect:
    """The title card: top-left on a landscape canvas; across the top of the safe zone on a vertical one."""
    if is_vertical(width, height):
        zone = VERTICAL_SAFE_ZONE.rect(width, height)
        return Rect(zone.x, zone.y, zone.w, height // 14)
    margin = max(8, width // 40)
    return Rect(margin, margin, width * 2 // 5, height // 9)


# The product card as (x, y, width, height) fractions of the canvas. Landscape: bottom-left. Vertical:
# just above the comments, inside the safe zone.
CARD_LAYOUT_LANDSCAPE = (0.02, 0.66, 0.40, 0.30)
CARD_LAYOUT_VERTICAL = (0.04, 0.53, 0.78, 0.16)


def card_layout(width: int, height: int) -> tuple[float, float, float, float]:
    return CARD_LAYOUT_VERTICAL if is_vertical(width, height) else CARD_LAYOUT_LANDSCAPE


def scene_templates(width: int, height: int, main_id: str, second_id: str | None,
                    title_id: str | None) -> list[dict]:
    """A first scene collection (profile JSON) for the canvas's shape: the camera full; with a title;
    and with a second camera, picture-in-picture and the two cameras together (stacked on a vertical
    canvas: face cam on top, product cam below)."""
    from seller_studio.media.compositor import picture_in_picture, side_by_side

    def rect_json(rect: Rect | None) -> list[int] | None:
        return [rect.x, rect.y, rect.w, rect.h] if rect is not None else None

    canvas = [width, height]
    scenes = [{"name": "Camera", "canvas": canvas, "layers": [{"source_id": main_id, "rect": None}]}]
    if title_id:
        scenes.append({"name": "Camera + title", "canvas": canvas, "layers": [
            {"source_id": main_id, "rect": None},
            {"source_id": title_id, "rect": rect_json(title_rect(width, height)), "scale": "fit"},
        ]})
    if second_id:
        pip = picture_in_picture("Picture in picture", main_id, second_id, width, height)
        both = side_by_side("Face + product" if is_vertical(width, height) else "Side by side",
                            main_id, second_id, width, height)
        for scene in (pip, both):
            scenes.append({"name": scene.name, "canvas": canvas,
                           "layers": [{"source_id": layer.source_id, "rect": rect_json(layer.rect)}
                                      for layer in scene.layers]})
    return scenes


def derive_vertical_scene(scene: Scene, width: int, height: int, vertical_w: int, vertical_h: int) -> Scene:
    """The vertical (phone) counterpart of a landscape ``width`` x ``height`` scene, on a ``vertical_w`` x
    ``vertical_h`` canvas — what the second canvas shows until the seller edits it:

    - a full-canvas layer stays full (a camera then fills the phone picture, cropped at the sides by
      its scale mode, never squashed);
    - layers that each span the landscape canvas's height side by side (two cameras) are stacked top
      to bottom in their left-to-right order, each filling its share of the height;
    - any other layer (an inset, a title, a logo) keeps its shape and its area in pixels (capped to
      the phone's safe zone) and moves to the same relative place inside the safe zone, where the
      phone app's header, comments and buttons do not cover it.
    """
    zone = VERTICAL_SAFE_ZONE.rect(vertical_w, vertical_h)
    columns = sorted((layer for layer in scene.layers
                      if layer.rect is not None and layer.rect.h >= 0.9 * height and layer.rect.w < 0.9 * width),
                     key=lambda layer: layer.rect.x if layer.rect is not None else 0)
    stack = columns if len(columns) >= 2 else []
    layers: list[Layer] = []
    for layer in scene.layers:
        rect = layer.rect
        if rect is None or (rect.w >= 0.98 * width and rect.h >= 0.98 * height):
            new_rect = None if rect is None else Rect(0, 0, vertical_w, vertical_h)
        elif any(column is layer for column in stack):
            i = next(n for n, column in enumerate(stack) if column is layer)
            top, bottom = vertical_h * i // len(stack), vertical_h * (i + 1) // len(stack)
            new_rect = Rect(0, top, vertical_w, bottom - top)
        else:
            new_rect = _into_safe_zone(rect, width, height, vertical_w, vertical_h, zone)
        layers.append(replace(layer, rect=new_rect))
    return Scene(scene.name, layers)


def _into_safe_zone(rect: Rect, width: int, height: int, vertical_w: int, vertical_h: int, zone: Rect) -> Rect:
    scale = math.sqrt((vertical_w * vertical_h) / max(1, width * height))  # the same area in pixels
    w, h = rect.w * scale, rect.h * scale
    shrink = min(1.0, zone.w / max(1.0, w), zone.h / max(1.0, h))
    w, h = max(1, round(w * shrink)), max(1, round(h * shrink))
    cx = zone.x + (rect.x + rect.w / 2) / max(1, width) * zone.w
    cy = zone.y + (rect.y + rect.h / 2) / max(1, height) * zone.h
    x = min(max(round(cx - w / 2), zone.x), zone.x + zone.w - w)
    y = min(max(round(cy - h / 2), zone.y), zone.y + zone.h - h)
    return Rect(x, y, w, h)
