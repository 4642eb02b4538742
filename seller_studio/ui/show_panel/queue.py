"""Tonight's queue: drag to reorder, search, filter by category, import a CSV (with a per-row report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seller_studio.show.csv_import import ImportResult
from seller_studio.show.inventory import TYPE_LABELS
from seller_studio.show.selling import SellingError, format_money

ALL_CATEGORIES = "All categories"
STATUS_COLOURS = {"sold": "#6b7079", "sold_out": "#6b7079", "showing": "#3d8bfd", "unsold": "#f5a524"}


def import_report(result: ImportResult) -> str:
    """What the seller reads after an import: counts, then every rejected row and why."""
    lines = [f"Imported {len(result.imported)} item(s); {len(result.skipped)} already there; "
             f"{len(result.errors)} row(s) rejected."]
    if result.errors:
        lines.append("")
        lines.append("Rejected rows (fix them in the sheet and import again; nothing from them was added):")
        lines.extend(f"  {issue}" for issue in result.errors)
    if result.warnings:
        lines.append("")
        lines.extend(f"  note: {issue}" for issue in result.warnings)
    return "\n".join(lines)


class ImportReportDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("CSV import")
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(560, 320)


class QueueWidget(QWidget):
    """The run of show. Double-click shows an item; drag rows to reorder (when not filtered)."""

    import_requested = Signal(str)  # a CSV path: the panel imports it off the GUI thread

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, SKU, category…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filter)
        top.addWidget(self.search, 1)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(self.apply_filter)
        top.addWidget(self.category)
        layout.addLayout(top)
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.model().rowsMoved.connect(self._on_rows_moved)
        self.list.itemDoubleClicked.connect(lambda item: self._show_row(self.list.row(item)))
        layout.addWidget(self.list, 1)
        bottom = QHBoxLayout()
        self.import_button = QPushButton("Import CSV…")
        self.import_button.clicked.connect(self._choose_csv)
        bottom.addWidget(self.import_button)
        self.rebuild_button = QPushButton("Queue all available")
        self.rebuild_button.setToolTip("Replace tonight's queue with every item that can still be sold")
        self.rebuild_button.clicked.connect(self._rebuild)
        bottom.addWidget(self.rebuild_button)
        bottom.addStretch(1)
        self.count_label = QLabel("")
        bottom.addWidget(self.count_label)
        layout.addLayout(bottom)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows from the run of show (items' status and stock change during the show)."""
        run = self.controller.run
        items = run.items()
        now_id = run.now_item_id
        self.list.blockSignals(True)
        self.list.clear()
        for item in items:
            kind = TYPE_LABELS.get(item.type, item.type)
            price = "" if item.type == "giveaway" else f" · {format_money(item.price_cents)}"
            marker = "▶ " if item.id == now_id else ""
            row = QListWidgetItem(f"{marker}{item.title}  —  {kind}{price} · qty {item.quantity} · {item.status}")
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            colour = STATUS_COLOURS.get("showing" if item.id == now_id else item.status)
            if colour:
                row.setForeground(QBrush(QColor(colour)))
            self.list.addItem(row)
        self.list.blockSignals(False)
        categories = [ALL_CATEGORIES, *run.categories()]
        current = self.category.currentText()
        if [self.category.itemText(i) for i in range(self.category.count())] != categories:
            self.category.blockSignals(True)
            self.category.clear()
            self.category.addItems(categories)
            self.category.setCurrentText(current if current in categories else ALL_CATEGORIES)
            self.category.blockSignals(False)
        self.count_label.setText(f"{len(items)} in tonight's queue")
        self.apply_filter()

    def apply_filter(self) -> None:
        run = self.controller.run
        visible = set(run.search(self.search.text()))
        category = self.category.currentText()
        if category and category != ALL_CATEGORIES:
            visible &= set(run.filter_category(category))
        for row in range(self.list.count()):
            self.list.item(row).setHidden(row not in visible)
        is_filtered = len(visible) != self.list.count()
        # Reordering a filtered list would move rows the seller cannot see: only drag the full list.
        self.list.setDragEnabled(not is_filtered)

    def visible_rows(self) -> list[int]:
        return [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]

    def _on_rows_moved(self, _parent: Any, start: int, _end: int, _dest: Any, dest_row: int) -> None:
        to_index = dest_row - 1 if dest_row > start else dest_row
        self.move(start, to_index)

    def move(self, from_index: int, to_index: int) -> None:
        self.controller.run.move(from_index, to_index)

    def _show_row(self, row: int) -> None:
        try:
            self.controller.show_index(row)
        except SellingError as err:
            self.count_label.setText(str(err))

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import inventory CSV", str(Path.home()),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.import_requested.emit(path)

    def _rebuild(self) -> None:
        try:
            self.controller.run.build_from_inventory()
        except SellingError as err:
            self.count_label.setText(str(err))
