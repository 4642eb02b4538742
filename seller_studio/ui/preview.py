"""The program preview: the newest compositor frame, scaled smoothly to the widget, polled by a timer.

``Studio.preview()`` never blocks, so polling it at twice the canvas rate costs nothing when no new
frame is there. The frame is shrunk with OpenCV's area filter (it releases the GIL and is far
cheaper than a smooth QPainter scale of a 1080p image) and painted 1:1.

Layers of the current scene can be moved by dragging and resized by the corner handle; the change
goes to the compositor at once (it shows on the next frame, on air too).
"""

from __future__ import annotations

import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from seller_studio.media.compositor import Rect
from seller_studio.media.studio import Studio

HANDLE_PX = 12


class PreviewWidget(QWidget):
    layer_selected = Signal(int)  # index in the current scene's layers, -1: none
    layer_changed = Signal()  # a drag or resize ended

    def __init__(self, parent: QWidget | None = None, poll_interval_ms: int = 15) -> None:
        super().__init__(parent)
        self.setObjectName("preview")
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.studio: Studio | None = None
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None  # keeps the QImage's pixels alive
        self._last_index = -1
        self._paint_times_s: deque[float] = deque(maxlen=120)
        self.selected = -1
        self._drag: tuple[str, QPoint, Rect] | None = None  # ("move"|"resize", start, rect at start)
        self.is_editable = True
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.poll)
        self._timer.start(poll_interval_ms)

    def set_studio(self, studio: Studio | None) -> None:
        self.studio = studio
        self._last_index = -1
        self.selected = -1
        self._image = None
        self.update()

    # -- frames ---------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.studio is None or not self.isVisible():
            return
        latest = self.studio.preview()
        if latest is None or latest[0] == self._last_index:
            return
        index, rgb = latest
        self._last_index = index
        target = self._target_rect(rgb.shape[1], rgb.shape[0])
        if target.width() < 2 or target.height() < 2:
            return
        if (target.width(), target.height()) != (rgb.shape[1], rgb.shape[0]):
            rgb = cv2.resize(rgb, (target.width(), target.height()), interpolation=cv2.INTER_AREA)
        else:
            rgb = np.ascontiguousarray(rgb)
        self._buffer = rgb
        h, w = rgb.shape[:2]
        self._image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
        self._paint_times_s.append(time.monotonic())
        self.update()

    @property
    def preview_fps(self) -> float:
        """Frames shown per second over the last couple of seconds."""
        times = [t for t in self._paint_times_s if t > time.monotonic() - 2.0]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def _canvas_size(self) -> tuple[int, int]:
        if self.studio is None:
            return 1280, 720
        return self.studio.compositor.width, self.studio.compositor.height

    def _target_rect(self, w: int | None = None, h: int | None = None) -> QRect:
        """Where the canvas is drawn: the largest rectangle of the canvas's aspect that fits."""
        if w is None or h is None:
            w, h = self._canvas_size()
        scale = min(self.width() / w, self.height() / h)
        tw, th = max(1, int(w * scale)), max(1, int(h * scale))
        return QRect((self.width() - tw) // 2, (self.height() - th) // 2, tw, th)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#0e0f11"))
        target = self._target_rect()
        if self._image is not None:
            painter.drawImage(target.topLeft(), self._image)
        else:
            painter.setPen(QColor("#7d828a"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Starting preview…")
        rect = self._layer_rect(self.selected)
        if rect is not None and self.is_editable:
            r = self._to_widget(rect)
            painter.setPen(QPen(QColor("#3d8bfd"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(r)
            painter.fillRect(QRect(r.right() - HANDLE_PX + 1, r.bottom() - HANDLE_PX + 1, HANDLE_PX, HANDLE_PX),
                             QColor("#3d8bfd"))
        painter.end()

    # -- layer editing ------------------------------------------------------------------------------
    def _scene_layers(self) -> list:
        if self.studio is None:
            return []
        comp = self.studio.compositor
        scene = comp.scenes.get(comp.active_scene)
        return list(scene.layers) if scene else []

    def _layer_rect(self, index: int) -> Rect | None:
        layers = self._scene_layers()
        if not 0 <= index < len(layers):
            return None
        w, h = self._canvas_size()
        return layers[index].rect or Rect(0, 0, w, h)

    def _to_widget(self, r: Rect) -> QRect:
        target = self._target_rect()
        w, _ = self._canvas_size()
        s = target.width() / w
        return QRect(target.x() + round(r.x * s), target.y() + round(r.y * s), round(r.w * s), round(r.h * s))

    def _to_canvas(self, p: QPoint) -> tuple[float, float]:
        target = self._target_rect()
        w, _ = self._canvas_size()
        s = w / max(1, target.width())
        return (p.x() - target.x()) * s, (p.y() - target.y()) * s

    def select(self, index: int) -> None:
        self.selected = index
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self.is_editable:
            return
        pos = event.position().toPoint()
        # A press on the selected layer's handle resizes it; otherwise pick the topmost layer hit.
        current = self._layer_rect(self.selected)
        if current is not None:
            r = self._to_widget(current)
            if abs(pos.x() - r.right()) <= HANDLE_PX and abs(pos.y() - r.bottom()) <= HANDLE_PX:
                self._drag = ("resize", pos, current)
                return
        cx, cy = self._to_canvas(pos)
        layers = self._scene_layers()
        order = sorted(range(len(layers)), key=lambda i: layers[i].z, reverse=True)
        for i in order:
            if not layers[i].is_visible:
                continue
            r = self._layer_rect(i)
            if r is not None and r.x <= cx < r.x + r.w and r.y <= cy < r.y + r.h:
                self.select(i)
                self.layer_selected.emit(i)
                self._drag = ("move", pos, r)
                return
        self.select(-1)
        self.layer_selected.emit(-1)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position().toPoint()
        current = self._layer_rect(self.selected)
        if self._drag is None:
            if current is not None:
                r = self._to_widget(current)
                on_handle = abs(pos.x() - r.right()) <= HANDLE_PX and abs(pos.y() - r.bottom()) <= HANDLE_PX
                self.setCursor(Qt.CursorShape.SizeFDiagCursor if on_handle else Qt.CursorShape.ArrowCursor)
            return
        mode, start, r0 = self._drag
        w, h = self._canvas_size()
        scale = w / max(1, self._target_rect().width())
        dx, dy = round((pos.x() - start.x()) * scale), round((pos.y() - start.y()) * scale)
        if mode == "move":
            rect = Rect(r0.x + dx, r0.y + dy, r0.w, r0.h)
        else:
            # Resizing keeps the source's aspect (as the seller expects from a camera picture).
            new_w = max(16, r0.w + dx)
            rect = Rect(r0.x, r0.y, new_w, max(16, round(new_w * r0.h / max(1, r0.w))))
        self.set_layer_rect(self.selected, rect)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            self._drag = None
            self.layer_changed.emit()

    def set_layer_rect(self, index: int, rect: Rect) -> None:
        if self.studio is None or not 0 <= index < len(self._scene_layers()):
            return
        comp = self.studio.compositor
        comp.update_layer(comp.active_scene, index, rect=rect)
        self.update()
