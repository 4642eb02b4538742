"""The program preview: the newest compositor frame, scaled smoothly to the widget, polled by a timer.

A "preview-scaler" thread takes the newest frame from ``Studio.preview()`` (never blocks), shrinks
it to the widget's size with OpenCV's area filter (smooth, and it releases the GIL) and converts it
to Qt's native 32-bit layout, so the GUI thread only wraps the pixels in a QImage and blits them 1:1.
At 1080p that keeps about 5-10 ms of work per frame off the GUI thread.

Layers of the current scene can be moved by dragging and resized by the corner handle; the change
goes to the compositor at once (it shows on the next frame, on air too). Right-click a layer for its
scale mode (fill / fit / stretch). The optional safe-zone guide shades what a phone app covers (its
header, the comments, the action buttons); it is drawn on the preview only, never on air.

The same widget shows Studio Mode's preview (``kind="preview"``): the compositor's off-air
rendering of the scene being prepared (``Compositor.preview_frame``), whose layers it edits; and the
vertical canvas's program (``kind="vertical"``, ``Studio.vertical_preview``), whose layers it edits
(the window then keeps that vertical scene as edited instead of derived).
"""

from __future__ import annotations

import threading
import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QContextMenuEvent, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from seller_studio.i18n import tr
from seller_studio.media.compositor import Compositor, Rect, ScaleMode
from seller_studio.media.layouts import safe_zone
from seller_studio.media.studio import Studio

HANDLE_PX = 12
SCALE_MODE_LABELS = {ScaleMode.FILL: "Fill (crop to cover)", ScaleMode.FIT: "Fit (show all, with bars)",
                     ScaleMode.STRETCH: "Stretch (distorts)"}


class PreviewWidget(QWidget):
    layer_selected = Signal(int)  # index in the current scene's layers, -1: none
    layer_changed = Signal()  # a drag or resize ended
    follow_requested = Signal(str)  # the vertical preview: derive this scene from the landscape one again

    def __init__(self, parent: QWidget | None = None, poll_interval_ms: int = 15, kind: str = "program") -> None:
        super().__init__(parent)
        # "program" (what goes on air), "preview" (Studio Mode's next scene) or "vertical" (the
        # vertical canvas's program)
        self.kind = kind
        self.setObjectName({"program": "preview", "vertical": "verticalPreview"}.get(kind, "scenePreview"))
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
        self.is_safe_zone_shown = False
        # Scaled frames from the scaler thread: (frame index, BGRA pixels at widget size).
        self._scaled_lock = threading.Lock()
        self._scaled: tuple[int, np.ndarray] | None = None
        self._target_size = (0, 0)  # written by the GUI thread, read by the scaler
        self._poll_interval_s = poll_interval_ms / 1000
        self._stop = threading.Event()
        self._scaler = threading.Thread(target=self._scale_loop, name="preview-scaler", daemon=True)
        self._scaler.start()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.poll)
        self._timer.start(poll_interval_ms)
        self.destroyed.connect(self._stop.set)

    def set_studio(self, studio: Studio | None) -> None:
        self.studio = studio
        self._last_index = -1
        self.selected = -1
        self._image = None
        with self._scaled_lock:
            self._scaled = None
        self.update()

    def stop(self) -> None:
        self._stop.set()

    # -- frames ---------------------------------------------------------------------------------
    def _scale_loop(self) -> None:
        """Worker: newest program frame -> widget-sized BGRA, only when a new frame is there."""
        last_index = -1
        while not self._stop.wait(self._poll_interval_s):
            studio = self.studio
            latest = None
            if studio is not None:
                latest = (studio.preview_picture() if self.kind == "program" else studio.vertical_preview_picture()
                          if self.kind == "vertical" else studio.compositor.preview_picture())
            size = self._target_size
            if latest is None or size[0] < 2 or size[1] < 2:
                continue
            index, picture = latest
            if index == last_index:
                continue
            last_index = index
            rgb = picture.scaled_rgb(*size)  # a YUV frame is scaled first, turned RGB at the small size
            bgra = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)  # QImage.Format_RGB32's byte order
            with self._scaled_lock:
                self._scaled = (index, bgra)

    def poll(self) -> None:
        """GUI timer: tell the scaler the size wanted, and show what it made since the last tick."""
        comp = self._compositor()
        if comp is None or not self.isVisible():
            return
        target = self._target_rect(comp.width, comp.height)
        self._target_size = (target.width(), target.height())
        with self._scaled_lock:
            scaled = self._scaled
        if scaled is None or scaled[0] == self._last_index:
            return
        index, bgra = scaled
        if (bgra.shape[1], bgra.shape[0]) != self._target_size:
            return  # made for the old size (a resize is in progress)
        self._last_index = index
        self._buffer = bgra  # keeps the QImage's pixels alive
        h, w = bgra.shape[:2]
        self._image = QImage(bgra.data, w, h, bgra.strides[0], QImage.Format.Format_RGB32)
        self._paint_times_s.append(time.monotonic())
        self.update(target)

    @property
    def preview_fps(self) -> float:
        """Frames shown per second over the last couple of seconds."""
        times = [t for t in self._paint_times_s if t > time.monotonic() - 2.0]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def _canvas_size(self) -> tuple[int, int]:
        comp = self._compositor()
        if comp is None:
            return 1280, 720
        return comp.width, comp.height

    def _compositor(self) -> Compositor | None:
        """The canvas this widget shows: the vertical one for ``kind="vertical"``, else the main one."""
        if self.studio is None:
            return None
        return self.studio.vertical if self.kind == "vertical" else self.studio.compositor

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
        if self.is_safe_zone_shown:
            self._paint_safe_zone(painter, target)
        rect = self._layer_rect(self.selected)
        if rect is not None and self.is_editable:
            r = self._to_widget(rect)
            painter.setPen(QPen(QColor("#3d8bfd"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(r)
            painter.fillRect(QRect(r.right() - HANDLE_PX + 1, r.bottom() - HANDLE_PX + 1, HANDLE_PX, HANDLE_PX),
                             QColor("#3d8bfd"))
        painter.end()

    def _paint_safe_zone(self, painter: QPainter, target: QRect) -> None:
        """Shade the edges a phone app (or a TV's overscan) covers; outline what stays visible."""
        w, h = self._canvas_size()
        zone = self._to_widget(safe_zone(w, h).rect(w, h))
        shade = QColor(110, 0, 0, 130)  # darkens and tints what the app covers
        painter.fillRect(QRect(target.left(), target.top(), target.width(), zone.top() - target.top()), shade)
        painter.fillRect(QRect(target.left(), zone.bottom() + 1, target.width(), target.bottom() - zone.bottom()), shade)
        painter.fillRect(QRect(target.left(), zone.top(), zone.left() - target.left(), zone.height()), shade)
        painter.fillRect(QRect(zone.right() + 1, zone.top(), target.right() - zone.right(), zone.height()), shade)
        painter.setPen(QPen(QColor("#ff8080"), 1, Qt.PenStyle.DashLine))
        painter.drawRect(zone)
        painter.setPen(QColor("#ffd0d0"))
        painter.drawText(zone.adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                         "safe zone")

    def set_safe_zone_shown(self, is_shown: bool) -> None:
        self.is_safe_zone_shown = is_shown
        self.update()

    # -- layer editing ------------------------------------------------------------------------------
    def scene_name(self) -> str:
        """The scene this widget shows (and edits)."""
        comp = self._compositor()
        if comp is None:
            return ""
        return (comp.preview_scene or comp.active_scene) if self.kind == "preview" else comp.active_scene

    def _scene_layers(self) -> list:
        comp = self._compositor()
        if comp is None:
            return []
        scene = comp.scenes.get(self.scene_name())
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

    def layer_scale_mode(self, index: int) -> ScaleMode | None:
        layers = self._scene_layers()
        return layers[index].scale_mode if 0 <= index < len(layers) else None

    def set_layer_scale_mode(self, index: int, mode: ScaleMode | None) -> None:
        """Change a layer's scale mode (None: automatic); saved like a drag."""
        if self.studio is None or not 0 <= index < len(self._scene_layers()):
            return
        comp = self._compositor()
        if comp is not None:
            comp.update_layer(self.scene_name(), index, scale_mode=mode)
        self.layer_changed.emit()

    def context_menu(self, index: int) -> QMenu:
        """The right-click menu: the layer's scale mode, and the safe-zone guide."""
        menu = QMenu(self)
        if 0 <= index < len(self._scene_layers()) and self.is_editable:
            current = self.layer_scale_mode(index)
            auto = menu.addAction(tr("Scale: automatic (fill cameras, fit titles)"))
            auto.setCheckable(True)
            auto.setChecked(current is None)
            auto.triggered.connect(lambda: self.set_layer_scale_mode(index, None))
            for mode, label in SCALE_MODE_LABELS.items():
                action = menu.addAction(tr('Scale: {label}').format(label=label))
                action.setCheckable(True)
                action.setChecked(current == mode)
                action.triggered.connect(lambda _c=False, m=mode: self.set_layer_scale_mode(index, m))
            menu.addSeparator()
        guide = QAction(tr("Show the phone safe zone") if self._canvas_size()[1] > self._canvas_size()[0]
                        else tr("Show the safe zone"), menu)
        guide.setCheckable(True)
        guide.setChecked(self.is_safe_zone_shown)
        guide.toggled.connect(self.set_safe_zone_shown)
        menu.addAction(guide)
        if self.kind == "vertical" and self.scene_name():
            follow = menu.addAction(tr("Follow the landscape scene again"))
            follow.setToolTip(tr("Drop your changes to this vertical scene: it is derived from the landscape one"))
            follow.triggered.connect(lambda: self.follow_requested.emit(self.scene_name()))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        cx, cy = self._to_canvas(event.pos())
        layers = self._scene_layers()
        index = -1
        for i in sorted(range(len(layers)), key=lambda i: layers[i].z, reverse=True):
            r = self._layer_rect(i)
            if layers[i].is_visible and r is not None and r.x <= cx < r.x + r.w and r.y <= cy < r.y + r.h:
                index = i
                break
        if index >= 0:
            self.select(index)
            self.layer_selected.emit(index)
        self.context_menu(index).exec(event.globalPos())

    def set_layer_rect(self, index: int, rect: Rect) -> None:
        if self.studio is None or not 0 <= index < len(self._scene_layers()):
            return
        comp = self._compositor()
        if comp is not None:
            comp.update_layer(self.scene_name(), index, rect=rect)
        self.update()
