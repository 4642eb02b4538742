"""The End Show recap window: duration, sales, total, peak viewers and frames dropped.

The numbers are computed without Qt (``seller_studio.show.recap``); this only lays them out. It is
a window of its own, not modal: the seller can look at the preview, the Sales tab or export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr
from seller_studio.show.recap import ShowRecap


class RecapDialog(QDialog):
    def __init__(self, recap: ShowRecap, controller: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recap = recap
        self.controller = controller
        self.setWindowTitle(tr("Show recap"))
        self.setModal(False)
        layout = QVBoxLayout(self)
        heading = QLabel(tr("That's a wrap!"))
        heading.setStyleSheet("font-size: 15pt; font-weight: 800;")
        layout.addWidget(heading)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for row, (label, value) in enumerate(recap.lines()):
            name = QLabel(label)
            name.setStyleSheet("color: #9aa0aa;")
            text = QLabel(value)
            text.setObjectName(f"recap{label.replace(' ', '')}")
            text.setStyleSheet("font-size: 13pt; font-weight: 700;")
            text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(name, row, 0)
            grid.addWidget(text, row, 1)
            self.values[label] = text
        layout.addLayout(grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        if controller is not None:
            self.export_button = QPushButton(tr("Export this show's sales…"))
            self.export_button.clicked.connect(self._export)
            buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(buttons)
        self.setMinimumWidth(320)

    def text(self) -> str:
        """The recap as plain lines (what a test, or a screen reader, reads)."""
        return "\n".join(f"{label}: {value}" for label, value in self.recap.lines())

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export sales"), str(Path.home() / "sales.csv"), "CSV (*.csv)")
        if path:
            count = self.controller.export_sales(path)
            self.export_button.setText(tr('Exported {count} sale(s)').format(count=count))
