"""The replay window's comparison page: the seller's session above its reproduction, on one time axis.

Each session is a strip: the health verdicts as coloured bands (grey healthy, red connection lost,
amber upload too slow, violet source lost, blue overloaded), the bitrate sent and the send buffer as
lines, reconnects as dashed markers; the one-page report (``diagnostics.repro_compare``) sits beside
it. Only drawing here: the comparison is computed without Qt.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit, QSplitter, QWidget

from seller_studio.diagnostics.repro_compare import Comparison, SessionSummary
from seller_studio.i18n import tr

VERDICT_COLOURS = {"healthy": "#2f3a33", "connection lost": "#e5484d", "upload too slow": "#f5a623",
                   "source lost": "#8e4ec6", "computer overloaded": "#3e63dd", "other warning": "#b5a642"}
SENT_COLOUR, BUFFER_COLOUR = "#3e9cf0", "#f5f5f5"


class ComparisonChart(QWidget):
    """Two strips, original and reproduced, with a shared time axis and a legend."""

    def __init__(self, comparison: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.duration_s = max(comparison.original.duration_s, comparison.reproduced.duration_s, 1.0)
        self.setMinimumSize(640, 420)

    def x_of(self, t_s: float, rect: QRectF) -> float:
        return rect.left() + rect.width() * min(max(t_s / self.duration_s, 0.0), 1.0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#16161a"))
        c = self.comparison
        title = QFont(painter.font())
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(QColor("#30a46c") if c.is_match else QColor("#e5484d"))
        painter.drawText(QPointF(12, 20), tr("Reproduced: the same night") if c.is_match
                         else tr("Different: {n} difference(s)").format(n=len(c.disagreements)))
        painter.setFont(QFont(self.font()))
        legend_top = self.height() - 44
        strip_h = (legend_top - 40) / 2
        top_sent = max([p[1] for p in c.original.series + c.reproduced.series] + [1.0])
        top_buffer = max([p[2] for p in c.original.series + c.reproduced.series] + [1.0])
        for row, (name, summary) in enumerate((("original (seller)", c.original), ("reproduced", c.reproduced))):
            rect = QRectF(64, 36 + row * strip_h + 18, self.width() - 80, strip_h - 30)
            self._strip(painter, rect, name, summary, top_sent, top_buffer)
        self._axis(painter, QRectF(64, legend_top - 10, self.width() - 80, 10))
        self._legend(painter, legend_top + 10, top_buffer)
        painter.end()

    def _strip(self, painter: QPainter, rect: QRectF, name: str, s: SessionSummary, top_sent: float,
               top_buffer: float) -> None:
        band = QRectF(rect.left(), rect.top(), rect.width(), 16)
        for v in s.verdicts:
            x0, x1 = self.x_of(v.start_s - 0.5, band), self.x_of(v.end_s + 0.5, band)
            painter.fillRect(QRectF(x0, band.top(), max(1.0, x1 - x0), band.height()),
                             QColor(VERDICT_COLOURS.get(v.group, "#888")))
        plot = QRectF(rect.left(), rect.top() + 22, rect.width(), rect.height() - 22)
        painter.setPen(QPen(QColor("#3a3a42")))
        painter.drawRect(plot)
        painter.setPen(QColor("#c8c8d0"))
        painter.drawText(QPointF(rect.left(), rect.top() - 4),
                         f"{name}: {len(s.reconnects)} reconnect(s), {s.dropped_pct:.1f}% dropped "
                         f"(network {s.dropped['network']}, disconnect {s.dropped['disconnect']})")
        painter.drawText(QPointF(4, plot.top() + 12), f"{top_sent:.0f}")
        painter.drawText(QPointF(4, plot.bottom()), "kbps")
        for colour, index, top in ((SENT_COLOUR, 1, top_sent), (BUFFER_COLOUR, 2, top_buffer)):
            if len(s.series) < 2:
                continue
            path = QPainterPath()
            for i, point in enumerate(s.series):
                pt = QPointF(self.x_of(point[0], plot), plot.bottom() - plot.height() * point[index] / top)
                path.moveTo(pt) if i == 0 else path.lineTo(pt)
            painter.setPen(QPen(QColor(colour), 1.5 if index == 1 else 1.0))
            painter.drawPath(path)
        for r in s.reconnects:
            painter.setPen(QPen(QColor("#e5484d"), 1, Qt.PenStyle.DashLine))
            x = self.x_of(r.down_s, plot)
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            if r.up_s is not None:
                painter.setPen(QPen(QColor("#30a46c"), 1, Qt.PenStyle.DashLine))
                x = self.x_of(r.up_s, plot)
                painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        for t, kbps in s.bitrate_steps:
            painter.setPen(QColor("#9a9aa3"))
            painter.drawText(QPointF(self.x_of(t, plot) + 2, plot.top() + 12), f"{kbps}")

    def _axis(self, painter: QPainter, rect: QRectF) -> None:
        painter.setPen(QColor("#9a9aa3"))
        step = 5 if self.duration_s <= 60 else 30 if self.duration_s <= 600 else 300
        t = 0
        while t <= self.duration_s:
            x = self.x_of(t, rect)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 4))
            painter.drawText(QPointF(x - 8, rect.bottom() + 6), f"{t}s")
            t += step

    def _legend(self, painter: QPainter, y: float, top_buffer_ms: float) -> None:
        x = 12.0
        items = [(colour, group) for group, colour in VERDICT_COLOURS.items()]
        items += [(SENT_COLOUR, "bitrate sent"), (BUFFER_COLOUR, f"send buffer (top {top_buffer_ms:.0f} ms)")]
        for colour, label in items:
            painter.fillRect(QRectF(x, y + 4, 12, 10), QColor(colour))
            painter.setPen(QColor("#c8c8d0"))
            painter.drawText(QPointF(x + 16, y + 14), label)
            x += 24 + painter.fontMetrics().horizontalAdvance(label)


class ComparisonWindow(QMainWindow):
    def __init__(self, comparison: Comparison, report: str, title: str = "") -> None:
        super().__init__()
        self.setWindowTitle(tr('Seller Studio replay - reproduction of {title}').format(title=title) if title
                            else tr("Seller Studio replay - reproduction"))
        self.chart = ComparisonChart(comparison)
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(9)
        self.report.setFont(mono)
        splitter = QSplitter()
        splitter.addWidget(self.chart)
        splitter.addWidget(self.report)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self.resize(1500, 780)
        splitter.setSizes([960, 540])


def run_comparison_window(comparison: Comparison, report: str, title: str = "") -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = ComparisonWindow(comparison, report, title)
    window.show()
    return int(app.exec())
