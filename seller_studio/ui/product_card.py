"""The on-stream product card: drawn with QPainter into an RGBA picture the compositor blends in.

The core decides *what* the card says (``SellingSession.product_card``); this module decides how it
looks. ``ProductCardOverlay`` re-renders only when the text changes (the countdown changes once a
second), on the GUI thread, and hands the pixels to an ``ImageOverlaySource`` - the compositor
thread picks up the newest picture on its next frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath

from seller_studio.i18n import tr
from seller_studio.media.compositor import Layer, Rect
from seller_studio.media.layouts import CARD_LAYOUT_LANDSCAPE, card_layout
from seller_studio.media.sources.overlay import ImageOverlaySource
from seller_studio.show.selling import ProductCard

CARD_SOURCE_ID = "product-card"
SOLD_FLASH_S = 4.0  # the SOLD banner blinks this long, then stays
FLASH_PERIOD_S = 0.5


@dataclass(frozen=True)
class CardStyle:
    """Where the card sits and how it looks. Position and size are fractions of the canvas so a
    change of output size keeps the layout."""

    x_frac: float = 0.02
    y_frac: float = 0.66
    width_frac: float = 0.40
    height_frac: float = 0.30
    background: str = "#1b1e24"
    background_alpha: int = 225
    text_colour: str = "#ffffff"
    accent: str = "#ffcc33"  # price and countdown
    sold_colour: str = "#2fbf71"
    font_family: str = "DejaVu Sans"

    def rect(self, canvas_w: int, canvas_h: int) -> Rect:
        x_frac, y_frac, width_frac, height_frac = self.x_frac, self.y_frac, self.width_frac, self.height_frac
        if (x_frac, y_frac, width_frac, height_frac) == CARD_LAYOUT_LANDSCAPE:  # not moved by the seller:
            x_frac, y_frac, width_frac, height_frac = card_layout(canvas_w, canvas_h)  # laid out for the shape
        w = max(64, round(canvas_w * width_frac))
        h = max(32, round(canvas_h * height_frac))
        return Rect(round(canvas_w * x_frac), round(canvas_h * y_frac), w, h)


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """A copy of ``image`` as HxWx4 uint8 RGBA (straight alpha, which the compositor blends)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buffer[:, : w * 4].reshape(h, w, 4).copy()


def _font(family: str, px: int, bold: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(max(6, px))
    font.setBold(bold)
    return font


def _wrap(text: str, metrics: QFontMetrics, width: int) -> list[str]:
    """Greedy word wrap (a word longer than the line is split where it overflows)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if metrics.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while metrics.horizontalAdvance(word) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and metrics.horizontalAdvance(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def fit_title(title: str, family: str, card_h: int, width: int) -> tuple[QFont, list[str]]:
    """The title's font and lines: one line at full size if it fits, else up to two lines at a
    smaller size (shrinking once more before the second line is elided)."""
    full = _font(family, round(card_h * 0.15), bold=True)
    if QFontMetrics(full).horizontalAdvance(title) <= width:
        return full, [title]
    for size_frac in (0.12, 0.10):
        font = _font(family, round(card_h * size_frac), bold=True)
        lines = _wrap(title, QFontMetrics(font), width)
        if len(lines) <= 2:
            return font, lines
    metrics = QFontMetrics(font)
    rest = " ".join(lines[1:])
    return font, [lines[0], metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]


def render_card(card: ProductCard, width: int, height: int, style: CardStyle = CardStyle(),
                is_flash_on: bool = True) -> np.ndarray:
    """Draw ``card`` on a ``width`` x ``height`` transparent picture; returns RGBA."""
    image = QImage(width, height, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        radius = height * 0.08
        background = QColor(style.background)
        background.setAlpha(style.background_alpha)
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, width, height), radius, radius)
        painter.fillPath(path, background)
        pad = round(height * 0.08)
        inner_w = width - 2 * pad
        text = QColor(style.text_colour)
        accent = QColor(style.accent)

        # Title: one line if it fits, else two smaller lines (elided only past that), never spilling out.
        title_font, title_lines = fit_title(card.title, style.font_family, height, inner_w)
        painter.setFont(title_font)
        painter.setPen(text)
        line_h = QFontMetrics(title_font).height()
        for n, line in enumerate(title_lines):
            painter.drawText(QRectF(pad, pad + n * line_h, inner_w, line_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        title_h = line_h * len(title_lines)
        y = pad + title_h + round(height * (0.03 if len(title_lines) == 1 else 0.01))

        if card.sold_to is not None:
            # SOLD flash: a green banner with the winner's name, blinking for the first seconds.
            banner = QRectF(pad, y, inner_w, height - y - pad)
            colour = QColor(style.sold_colour if is_flash_on else style.background)
            painter.fillRect(banner, colour)
            painter.setPen(text)
            word = tr("WON") if card.is_giveaway else tr("SOLD")
            big = _font(style.font_family, round(banner.height() * 0.42), bold=True)
            painter.setFont(big)
            top = QRectF(banner.x(), banner.y(), banner.width(), banner.height() * 0.55)
            label = word if card.is_giveaway else f"{word} {card.price_text}"
            painter.drawText(top, Qt.AlignmentFlag.AlignCenter, label)
            small = _font(style.font_family, round(banner.height() * 0.24), bold=True)
            painter.setFont(small)
            name = QFontMetrics(small).elidedText(tr("to @{buyer}").format(buyer=card.sold_to), Qt.TextElideMode.ElideRight,
                                                   round(banner.width()))
            painter.drawText(QRectF(banner.x(), banner.y() + banner.height() * 0.55, banner.width(),
                                    banner.height() * 0.40), Qt.AlignmentFlag.AlignCenter, name)
            return qimage_to_rgba(image)

        caption_font = _font(style.font_family, round(height * 0.10))
        painter.setFont(caption_font)
        painter.setPen(QColor(style.text_colour))
        caption_h = QFontMetrics(caption_font).height()
        painter.drawText(QRectF(pad, y, inner_w, caption_h), Qt.AlignmentFlag.AlignLeft, card.price_caption.upper())
        y += caption_h
        clock_font = _font(style.font_family, round(height * 0.27), bold=True)
        gap = round(height * 0.06)
        clock_w = QFontMetrics(clock_font).horizontalAdvance(card.countdown_text) + gap if card.countdown_text else 0
        price_w = inner_w - clock_w
        # A long amount ("kr 1 350,00", "NOK 12,500.00") shrinks to fit beside the clock, never under it.
        price_px = round(height * 0.27)
        price_font = _font(style.font_family, price_px, bold=True)
        while price_px > height * 0.12 and QFontMetrics(price_font).horizontalAdvance(card.price_text) > price_w:
            price_px -= 1
            price_font = _font(style.font_family, price_px, bold=True)
        painter.setFont(price_font)
        painter.setPen(accent)
        price_h = QFontMetrics(clock_font).height()
        painter.drawText(QRectF(pad, y, price_w, price_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         card.price_text)
        if card.countdown_text:
            painter.setFont(clock_font)
            painter.setPen(text)
            painter.drawText(QRectF(pad + price_w, y, inner_w - price_w, price_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, card.countdown_text)
        y += price_h
        footer = ""
        if card.bidder:
            footer = f"@{card.bidder}"
        elif card.quantity_left is not None:
            footer = tr("{n} left").format(n=card.quantity_left) if card.quantity_left > 0 else ""
        if footer:
            foot_font = _font(style.font_family, round(height * 0.10))
            painter.setFont(foot_font)
            painter.setPen(text)
            foot = QFontMetrics(foot_font).elidedText(footer, Qt.TextElideMode.ElideRight, inner_w)
            painter.drawText(QRectF(pad, y, inner_w, height - y - pad // 2), Qt.AlignmentFlag.AlignLeft, foot)
    finally:
        painter.end()
    return qimage_to_rgba(image)


class ProductCardOverlay(QObject):
    """Keeps the product card in the video in step with the controller (GUI thread only)."""

    def __init__(self, controller: Any, parent: QObject | None = None, style: CardStyle = CardStyle(),
                 interval_ms: int = 100) -> None:
        super().__init__(parent)
        self.controller = controller
        self.style = style
        self.source = ImageOverlaySource(CARD_SOURCE_ID)
        self.layer: Layer | None = None
        self.vertical_layer: Layer | None = None  # the card on the vertical canvas, when the studio has one
        self._studio: Any = None
        self._last_key: tuple[Any, ...] | None = None
        self._sold_since: float | None = None
        self.renders = 0
        self.is_visible = True
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(interval_ms)

    def attach(self, studio: Any) -> None:
        """Put the card on ``studio``'s canvas, above every scene."""
        if studio is self._studio:
            return
        self._studio = studio
        self.vertical_layer = None
        if studio is None:
            self.layer = None
            return
        comp = studio.compositor
        studio.add_source(self.source)
        self.layer = Layer(CARD_SOURCE_ID, self.style.rect(comp.width, comp.height), z=1000)
        comp.add_overlay(self.layer)
        vertical = getattr(studio, "vertical", None)
        if vertical is not None:  # the same card on the phone canvas, laid out for its shape (fit: not squashed)
            self.vertical_layer = Layer(CARD_SOURCE_ID, self.style.rect(vertical.width, vertical.height), z=1000)
            vertical.add_overlay(self.vertical_layer)
        self._last_key = None
        self.refresh()

    def set_style(self, style: CardStyle) -> None:
        self.style = style
        if self.layer is not None and self._studio is not None:
            comp = self._studio.compositor
            self.layer.rect = style.rect(comp.width, comp.height)  # read by the compositor each frame
            vertical = getattr(self._studio, "vertical", None)
            if self.vertical_layer is not None and vertical is not None:
                self.vertical_layer.rect = style.rect(vertical.width, vertical.height)
        self._last_key = None
        self.refresh()

    def move_to(self, x_frac: float, y_frac: float) -> None:
        self.set_style(replace(self.style, x_frac=x_frac, y_frac=y_frac))

    def set_visible(self, is_visible: bool) -> None:
        self.is_visible = is_visible
        self._last_key = None
        self.refresh()

    def refresh(self) -> None:
        card = self.controller.product_card() if self.is_visible else None
        flash = True
        if card is not None and card.sold_to is not None:
            now = time.monotonic()
            if self._sold_since is None:
                self._sold_since = now
            elapsed = now - self._sold_since
            flash = elapsed >= SOLD_FLASH_S or int(elapsed / FLASH_PERIOD_S) % 2 == 0
        else:
            self._sold_since = None
        key = (card, flash, self.style)
        if key == self._last_key:
            return
        self._last_key = key
        if card is None or self.layer is None:
            self.source.set_image(None)
            return
        rect = self.layer.rect or Rect(0, 0, 400, 200)
        self.source.set_image(render_card(card, rect.w, rect.h, self.style, flash))
        self.renders += 1
