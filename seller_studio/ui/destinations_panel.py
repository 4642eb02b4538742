"""The Destinations dock: every destination of the show with a health light, its state in plain words
and "Reconnect now". It only draws the controller's ``DestinationsChanged`` rows and hands a click on
"Reconnect now" to the window (which asks the controller); Go Live and End Show act on all of them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from seller_studio.i18n import tr, tr_text
from seller_studio.studio.events import DestinationRow
from seller_studio.ui.status_widgets import HEALTH_COLOURS


class _Row(QWidget):
    def __init__(self, name: str, on_reconnect: Signal) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.dot = QLabel("●")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.reconnect = QPushButton(tr("Reconnect now"))
        self.reconnect.setToolTip(tr("Skip the wait and reconnect this destination now"))
        self.reconnect.clicked.connect(lambda: on_reconnect.emit(name))
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.reconnect)

    def show_row(self, row: DestinationRow) -> None:
        self.dot.setStyleSheet(f"color: {HEALTH_COLOURS.get(row.level, HEALTH_COLOURS['idle'])};")
        canvas = f" · {row.canvas}" if row.canvas != "landscape" else ""
        self.text.setText(f"<b>{row.name}</b>{canvas} — {tr_text(row.detail)}")  # made in English in the core
        self.text.setToolTip(row.label)
        self.reconnect.setEnabled(row.state == "reconnecting")


class DestinationsPanel(QWidget):
    reconnect_requested = Signal(str)  # a destination's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.hint = QLabel(tr("Each destination of the show appears here with its health when you go live."))
        self.hint.setWordWrap(True)
        self._layout.addWidget(self.hint)
        self._layout.addStretch(1)
        self.rows: dict[str, _Row] = {}

    def set_rows(self, rows: tuple[DestinationRow, ...]) -> None:
        """Draw the rows (the same names keep their widgets: a stats tick only updates them)."""
        names = [r.name for r in rows]
        if names != list(self.rows):
            for widget in self.rows.values():
                self._layout.removeWidget(widget)
                widget.deleteLater()
            self.rows = {}
            for i, name in enumerate(names):
                self.rows[name] = _Row(name, self.reconnect_requested)
                self._layout.insertWidget(1 + i, self.rows[name])
        for row in rows:
            self.rows[row.name].show_row(row)
        self.hint.setVisible(not rows)
