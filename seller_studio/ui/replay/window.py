"""The replay window: lanes of what happened (chat, item, auction, scene, stream, faults) beside plots
of bitrate, fps, dropped frames and send buffer, all following one scrubber.

The model is ``diagnostics.replay`` (no Qt); this module only draws it. A QTimer drives
``ReplayPlayer.advance`` on the GUI thread: no worker threads here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from seller_studio.diagnostics.replay import SPEEDS, Replay, ReplayEvent, ReplayPlayer, StatPoint
from seller_studio.i18n import tr

TICK_MS = 50
SCRUB_STEPS_PER_S = 10
MARKER_COLOURS = {"reconnect": "#e5484d", "reconnected": "#30a46c", "scene": "#6e56cf", "fault": "#f5a623"}
SERIES: list[tuple[str, str, Callable[[StatPoint], float]]] = [
    ("bitrate kbps", "#3e9cf0", lambda p: p.bitrate_kbps),
    ("fps", "#30a46c", lambda p: p.fps),
    ("dropped frames/s", "#e5484d", lambda p: float(p.dropped_frames)),
    ("send buffer ms", "#f5a623", lambda p: p.send_buffer_ms),
]


class StatsPlot(QWidget):
    """Four stacked strip charts over the whole session, markers as vertical lines, a cursor at the position."""

    def __init__(self, replay: Replay, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replay = replay
        self.position_s = 0.0
        self.setMinimumSize(420, 320)

    def set_position(self, t_s: float) -> None:
        self.position_s = t_s
        self.update()

    def x_of(self, t_s: float, rect: QRectF) -> float:
        span = max(self.replay.duration_s, 1e-6)
        return rect.left() + rect.width() * min(max(t_s / span, 0.0), 1.0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#16161a"))
        height = self.height() / len(SERIES)
        points = self.replay.stats
        for row, (name, colour, value_of) in enumerate(SERIES):
            rect = QRectF(48, row * height + 16, self.width() - 56, height - 24)
            painter.setPen(QPen(QColor("#3a3a42")))
            painter.drawRect(rect)
            values = [value_of(p) for p in points]
            top = max(values, default=0.0) or 1.0
            painter.setPen(QColor("#c8c8d0"))
            painter.drawText(QPointF(4, rect.top() - 3), f"{name} (max {top:.0f})")
            if len(points) > 1:
                path = QPainterPath()
                for i, (p, v) in enumerate(zip(points, values, strict=True)):
                    pt = QPointF(self.x_of(p.t_s, rect), rect.bottom() - rect.height() * v / top)
                    path.moveTo(pt) if i == 0 else path.lineTo(pt)
                painter.setPen(QPen(QColor(colour), 1.5))
                painter.drawPath(path)
            for marker in self.replay.markers:
                painter.setPen(QPen(QColor(MARKER_COLOURS.get(marker.kind, "#888")), 1, Qt.PenStyle.DashLine))
                x = self.x_of(marker.t_s, rect)
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            painter.setPen(QPen(QColor("#ffffff"), 1.5))
            x = self.x_of(self.position_s, rect)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        painter.end()


class ReplayWindow(QMainWindow):
    def __init__(self, replay: Replay, title: str = "", speed: float = 1.0) -> None:
        super().__init__()
        self.replay = replay
        self.player = ReplayPlayer(replay, speed)
        self.setWindowTitle(tr('Seller Studio replay - {title}').format(title=title) if title else tr("Seller Studio replay"))
        self._last_tick = time.monotonic()

        self.scene_label = QLabel()
        self.item_label = QLabel()
        self.auction_label = QLabel()
        self.stream_label = QLabel()
        self.chat = QListWidget()
        self.timeline = QListWidget()  # every non-chat event passed so far, newest last
        self.plot = StatsPlot(replay)

        self.play_button = QPushButton(tr("Play"))
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}x", s)
        self.speed_box.setCurrentIndex(min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed)))
        self.speed_box.currentIndexChanged.connect(lambda i: self.player.set_speed(float(self.speed_box.itemData(i))))
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, max(1, round(replay.duration_s * SCRUB_STEPS_PER_S)))
        self.scrubber.sliderMoved.connect(lambda v: self.seek(v / SCRUB_STEPS_PER_S))
        self.time_label = QLabel()

        left = QWidget()
        lv = QVBoxLayout(left)
        for label in (self.scene_label, self.item_label, self.auction_label, self.stream_label):
            lv.addWidget(label)
        lv.addWidget(QLabel(tr("Chat")))
        lv.addWidget(self.chat, 2)
        lv.addWidget(QLabel(tr("Timeline")))
        lv.addWidget(self.timeline, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(1, 2)
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.scrubber, 1)
        transport.addWidget(self.time_label)
        transport.addWidget(self.speed_box)
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.addWidget(splitter, 1)
        cv.addLayout(transport)
        self.setCentralWidget(central)
        self.resize(1100, 700)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.seek(0.0)

    # -- transport -------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.player.position_s >= self.replay.duration_s:
            self.seek(0.0)
        self.player.is_playing = not self.player.is_playing
        self.play_button.setText(tr("Pause") if self.player.is_playing else tr("Play"))
        self._last_tick = time.monotonic()
        if self.player.is_playing:
            self.timer.start()
        else:
            self.timer.stop()

    def seek(self, t_s: float) -> None:
        state = self.player.seek(t_s)
        self.chat.clear()
        for event in state.chat:
            self.chat.addItem(event.label())
        self.timeline.clear()
        for event in self.replay.events_until(self.player.position_s):
            if event.lane != "chat" and event.kind != "platform_out" and event.kind != "platform_ack":
                self.timeline.addItem(self._timeline_text(event))
        self._show_state()

    def _tick(self) -> None:
        now = time.monotonic()
        self.advance(now - self._last_tick)
        self._last_tick = now

    def advance(self, wall_dt_s: float) -> list[ReplayEvent]:
        """Play on by ``wall_dt_s`` (the timer calls this; tests call it directly)."""
        events = self.player.advance(wall_dt_s)
        for event in events:
            if event.name == "chat.message":
                self.chat.addItem(event.label())
            elif event.name == "chat.deleted":
                self.seek(self.player.position_s)  # rare: rebuild the list without the message
            elif event.kind not in ("platform_out", "platform_ack"):
                self.timeline.addItem(self._timeline_text(event))
        if events:
            self.chat.scrollToBottom()
            self.timeline.scrollToBottom()
        if not self.player.is_playing:
            self.timer.stop()
            self.play_button.setText(tr("Play"))
        self._show_state()
        return events

    def _timeline_text(self, event: ReplayEvent) -> str:
        return f"{event.t_s:7.1f}s  [{event.lane}] {event.label()}"

    def _show_state(self) -> None:
        t = self.player.position_s
        state = self.replay.state_at(t, chat_lines=0)
        item = state.item or {}
        self.scene_label.setText(tr('Scene: {value}').format(value=state.scene or '-'))
        self.item_label.setText(tr('Item: {value}').format(value=item.get('title') or item.get('item_id') or '-'))
        a = state.auction
        self.auction_label.setText(
            tr('Auction: {value} at {value2} ({value3})').format(value=a.get('auction_id'), value2=a.get('price', a.get('starting_bid')), value3=a.get('leader') or tr('no bids'))
            if a else tr("Auction: -"))
        self.stream_label.setText(tr('Stream: {value}').format(value=state.stream or '-'))
        self.time_label.setText(f"{t:6.1f} / {self.replay.duration_s:.1f} s")
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(round(t * SCRUB_STEPS_PER_S))
        self.scrubber.blockSignals(False)
        self.plot.set_position(t)


def run_replay_window(replay: Replay, title: str = "", speed: float = 1.0) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = ReplayWindow(replay, title, speed)
    window.show()
    return int(app.exec())
