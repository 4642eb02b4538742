"""The break board on the program picture: spots, buyers, filled/total, and the draw animated.

A platform's break rules ask for the randomization to be shown live and the whole break to stay on
camera, so the board is a layer of the video itself, not a window. The show side hands in a plain
``BoardView`` (this module knows nothing of platforms or inventories) from any thread; the picture
is the board's panel (RGBA) for ``board_layer``/``board_rect``, inside the canvas's safe zone: the
right half of a landscape canvas, the band between a phone app's header and its comments on a
vertical one (only the panel is blended each frame, never a full-canvas picture). During a
draw (``start_draw``) the spots are revealed one by one, each after a short spin through the teams;
the spin (through the teams not yet given) is decoration, the result is the one handed in. OpenCV 5
draws names in any script; with OpenCV 4's Hershey font accents are folded and other letters are "?".
"""

from __future__ import annotations

import math
import threading
import time
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np

from seller_studio.media.compositor import Layer, Rect, ScaleMode
from seller_studio.media.layouts import is_vertical, safe_zone
from seller_studio.media.sources.overlay import ImageOverlaySource

FONT = cv2.FONT_HERSHEY_SIMPLEX
# RGBA, like every frame in the media core
WHITE = (255, 255, 255, 255)
DIM = (170, 170, 170, 255)
GOLD = (255, 200, 40, 255)
GREEN = (110, 220, 110, 255)
PANEL = (18, 20, 24, 236)
CELL_OPEN = (52, 56, 60, 255)
CELL_SOLD = (30, 60, 90, 255)
CELL_LIVE = (220, 110, 20, 255)


@dataclass(frozen=True)
class BoardSpotView:
    label: str  # "#3" (the 3rd spot sold, random teams) or a team name
    team: str | None = None  # None: not drawn yet (random team)
    buyer: str | None = None  # None: open


@dataclass(frozen=True)
class BoardView:
    title: str
    spots: tuple[BoardSpotView, ...]
    filled: int
    total: int
    subtitle: str = ""  # e.g. "$25.00 a spot - random teams"
    footer: str = ""  # e.g. the commitment before the draw, the seed after it


@dataclass(frozen=True)
class DrawAnimation:
    """Reveal ``final`` (the board after the draw) spot by spot from ``started_at_s`` (monotonic)."""

    final: BoardView
    teams: tuple[str, ...]  # what the spin shows
    started_at_s: float
    reveal_every_s: float = 0.6
    spin_s: float = 1.2

    def duration_s(self) -> float:
        return self.spin_s + self.reveal_every_s * sum(1 for s in self.final.spots if s.buyer)

    def view_at(self, now_s: float) -> tuple[BoardView, int | None]:
        """The board at ``now_s`` and the index of the spot being revealed (None when done)."""
        elapsed = now_s - self.started_at_s
        sold = [i for i, s in enumerate(self.final.spots) if s.buyer]
        if elapsed >= self.duration_s() or not sold:
            return self.final, None
        revealed = max(0, int((elapsed - self.spin_s) // self.reveal_every_s) + 1) if elapsed >= self.spin_s else 0
        spinning = sold[revealed] if revealed < len(sold) else None
        step = int(elapsed * 12)  # the spin changes name 12 times a second
        shown = {self.final.spots[i].team for i in sold[:revealed]}
        pool = [t for t in self.teams if t not in shown] or list(self.teams)
        spots = []
        for n, spot in enumerate(self.final.spots):
            if n in sold[:revealed]:
                spots.append(spot)
            elif n == spinning:
                fake = pool[(step * 7 + n * 13) % len(pool)] if pool else "?"
                spots.append(BoardSpotView(spot.label, fake, spot.buyer))
            else:
                spots.append(BoardSpotView(spot.label, None, spot.buyer))
        footer = "Drawing..." if spinning is not None else self.final.footer
        view = BoardView(self.final.title, tuple(spots), self.final.filled, self.final.total,
                         self.final.subtitle, footer)
        return view, spinning


HAS_UNICODE_TEXT = int(cv2.__version__.split(".")[0]) >= 5  # OpenCV 5's putText draws any script


def ascii_text(text: str) -> str:
    """What the font can draw: no control or format characters; before OpenCV 5 (Hershey, ASCII
    only) accents folded (Zoë -> Zoe) and other letters as '?'."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    if HAS_UNICODE_TEXT:
        return text
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in folded if not unicodedata.combining(ch))


def _fit(text: str, scale: float, thickness: int, max_w: int) -> str:
    text = ascii_text(text)
    if cv2.getTextSize(text, FONT, scale, thickness)[0][0] <= max_w:
        return text
    while text and cv2.getTextSize(text + "...", FONT, scale, thickness)[0][0] > max_w:
        text = text[:-1]
    return text + "..."


class _Canvas:
    """RGB and alpha kept apart: OpenCV 5's anti-aliased text writes its coverage into a 4th channel
    (punching holes in the panel), so text goes on the RGB planes only and boxes set the alpha."""

    def __init__(self, width: int, height: int) -> None:
        self.rgb = np.zeros((height, width, 3), dtype=np.uint8)
        self.alpha = np.zeros((height, width), dtype=np.uint8)

    def box(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int, int]) -> None:
        cv2.rectangle(self.rgb, (x, y), (x + w - 1, y + h - 1), color[:3], thickness=-1)
        cv2.rectangle(self.alpha, (x, y), (x + w - 1, y + h - 1), color[3], thickness=-1)

    def text(self, text: str, org: tuple[int, int], scale: float, color: tuple[int, int, int, int],
             thickness: int) -> None:
        cv2.putText(self.rgb, text, org, FONT, scale, color[:3], thickness, cv2.LINE_AA)

    def rgba(self) -> np.ndarray:
        out = cv2.cvtColor(self.rgb, cv2.COLOR_RGB2RGBA)
        out[:, :, 3] = self.alpha
        return out


def board_rect(width: int, height: int) -> Rect:
    """Where the board goes on a canvas: the right half of a landscape canvas's safe area, the whole
    safe zone of a vertical one (below a phone app's header, above its comments)."""
    zone = safe_zone(width, height).rect(width, height)
    if is_vertical(width, height):
        return zone
    pw = round(zone.w * 0.48)
    return Rect(zone.x + zone.w - pw, zone.y, pw, zone.h)


def board_layer(source_id: str, width: int, height: int, z: int = 10) -> Layer:
    """The scene layer for a board source (its pictures are ``board_rect``-sized)."""
    return Layer(source_id, board_rect(width, height), z=z, scale_mode=ScaleMode.FIT)


def render_board(view: BoardView, width: int, height: int, *, highlight: int | None = None) -> np.ndarray:
    """The board for a ``width`` x ``height`` canvas as an RGBA picture of ``board_rect``'s size
    (only the panel is drawn and blended, never the whole canvas)."""
    rect = board_rect(width, height)
    pw, ph = rect.w, rect.h
    px = py = 0
    image = _Canvas(pw, ph)
    image.box(px, py, pw, ph, PANEL)
    unit = min(pw, ph * 1.1) / 640  # text size follows the panel
    pad = max(6, round(14 * unit))
    title_scale = 0.95 * unit
    y = py + pad + round(30 * unit)
    image.text(_fit(view.title, title_scale, 2, pw - 2 * pad), (px + pad, y), title_scale, WHITE, 2)
    small = 0.58 * unit
    y += round(32 * unit)
    count = f"{view.filled}/{view.total} spots filled"
    image.text(count, (px + pad, y), small * 1.1, GREEN if view.filled == view.total else GOLD, 2)
    if view.subtitle:
        count_w = cv2.getTextSize(count, FONT, small * 1.1, 2)[0][0]
        image.text(_fit(view.subtitle, small, 1, pw - 3 * pad - count_w), (px + 2 * pad + count_w, y), small, DIM, 1)
    y += pad
    footer_h = round(30 * unit) if view.footer else 0
    grid_top, grid_bottom = y, py + ph - pad - footer_h
    n = max(1, len(view.spots))
    columns = 1 if n <= 8 else (2 if n <= 40 else 3)
    rows = math.ceil(n / columns)
    gap = max(2, round(4 * unit))
    cell_h = max(12, min(round(56 * unit), (grid_bottom - grid_top) // rows - gap))
    cell_w = (pw - 2 * pad - (columns - 1) * gap) // columns
    text_scale = min(small, cell_h / 40)
    for index, spot in enumerate(view.spots):
        col, row = divmod(index, rows)
        cx = px + pad + col * (cell_w + gap)
        cy = grid_top + row * (cell_h + gap)
        color = CELL_LIVE if index == highlight else (CELL_SOLD if spot.buyer else CELL_OPEN)
        image.box(cx, cy, cell_w, cell_h, color)
        base = cy + cell_h // 2 + round(8 * text_scale)
        name = spot.team if spot.team else spot.label
        buyer = spot.buyer or "open"
        buyer_w = min(cell_w * 2 // 5, cv2.getTextSize(ascii_text(buyer), FONT, text_scale, 1)[0][0] + 4)
        name_w = cell_w - buyer_w - 3 * gap
        if spot.team and spot.label != spot.team:  # random team: "3  Yankees"
            number = spot.label.lstrip("#")
            image.text(number, (cx + gap, base), text_scale, DIM, 1)
            offset = cv2.getTextSize("00", FONT, text_scale, 1)[0][0] + 2 * gap
        else:
            offset = gap
        image.text(_fit(name, text_scale, 1, name_w - offset), (cx + offset, base), text_scale,
                   WHITE if spot.team or not spot.label.startswith("#") else DIM, 1)
        buyer_text = _fit(buyer, text_scale, 1, buyer_w)
        bw = cv2.getTextSize(buyer_text, FONT, text_scale, 1)[0][0]
        image.text(buyer_text, (cx + cell_w - bw - gap, base), text_scale, GOLD if spot.buyer else DIM, 1)
    if view.footer:
        fs = 0.42 * unit
        image.text(_fit(view.footer, fs, 1, pw - 2 * pad), (px + pad, py + ph - pad), fs, DIM, 1)
    return image.rgba()


class BreakBoardSource(ImageOverlaySource):
    """The board layer (use ``board_layer`` for its place). ``set_board`` and ``start_draw`` return
    at once from any thread (the GUI's included): every picture is rendered on the source's own
    ``break-board-ID`` thread (a draw's spin about 8 times a second), never on the caller's or the
    compositor's clock thread, which only picks up the newest picture."""

    kind = "break-board"
    SPIN_FPS = 8.0

    def __init__(self, source_id: str, width: int, height: int) -> None:
        super().__init__(source_id)
        self.width, self.height = width, height
        self._view: BoardView | None = None
        self._animation: DrawAnimation | None = None
        self._cond = threading.Condition()
        self._generation = 0  # bumped by every set_board / start_draw
        self._rendered_generation = 0
        self._is_stopping = False
        self._thread: threading.Thread | None = None
        self.draw_frames_rendered = 0

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._is_stopping = False
            self._thread = threading.Thread(target=self._run, name=f"break-board-{self.id}", daemon=True)
            self._thread.start()

    def set_board(self, view: BoardView | None) -> None:
        """Show ``view`` (None hides the board); ends a draw in progress."""
        with self._cond:
            self._view = view
            self._animation = None
            self._generation += 1
            self._ensure_thread()
            self._cond.notify_all()

    def start_draw(self, final: BoardView, teams: tuple[str, ...], *, started_at_s: float | None = None,
                   reveal_every_s: float = 0.6, spin_s: float = 1.2) -> DrawAnimation:
        animation = DrawAnimation(final, teams, time.monotonic() if started_at_s is None else started_at_s,
                                  reveal_every_s, spin_s)
        with self._cond:
            self._view = final
            self._animation = animation
            self._generation += 1
            self._ensure_thread()
            self._cond.notify_all()
        return animation

    @property
    def is_drawing(self) -> bool:
        with self._cond:
            return self._animation is not None

    def wait_rendered(self, timeout_s: float) -> bool:
        """Wait until the newest board (and any draw) is on the picture; True when it is."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._animation is not None or self._rendered_generation != self._generation:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    wait_drawn = wait_rendered

    def stop(self) -> None:
        with self._cond:
            self._is_stopping = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        super().stop()

    def _run(self) -> None:
        last_key = None
        while True:
            with self._cond:
                while (not self._is_stopping and self._animation is None
                       and self._rendered_generation == self._generation):
                    self._cond.wait()
                if self._is_stopping:
                    return
                generation, view, animation = self._generation, self._view, self._animation
            if animation is None:
                image = None if view is None else render_board(view, self.width, self.height)
                with self._cond:
                    if generation == self._generation:
                        self.set_image(image)
                        self._rendered_generation = generation
                        self._cond.notify_all()
                last_key = None
                continue
            now = time.monotonic()
            if now - animation.started_at_s >= animation.duration_s():
                image = render_board(animation.final, self.width, self.height)
                with self._cond:
                    if self._animation is animation:
                        self.set_image(image)
                        self._animation = None
                        self._rendered_generation = generation
                        self._cond.notify_all()
                last_key = None
                continue
            shown, spinning = animation.view_at(now)
            key = (id(animation), shown.spots, shown.footer, spinning)
            if key != last_key:
                image = render_board(shown, self.width, self.height, highlight=spinning)
                with self._cond:
                    if self._animation is animation:
                        self.set_image(image)
                        self.draw_frames_rendered += 1
                last_key = key
            with self._cond:
                if self._animation is animation and self._generation == generation:
                    self._cond.wait(1.0 / self.SPIN_FPS)
