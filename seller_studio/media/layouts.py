"""Layouts that depend on the canvas's shape: the phone apps' safe zone, and where titles, the
product card and scene templates go on a landscape or a vertical (9:16) canvas.

Most live-shopping buyers watch on phones, where the app draws over the picture: the account name
and viewer count across the top, the comments and the buy bar over the bottom third, the action
buttons down the right edge. The fractions below follow the common creator guides for 1080x1920
(about 240 px top, 580 px bottom, 170 px right); landscape keeps the broadcast title-safe 5 % margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from seller_studio.media.compositor import Rect

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
