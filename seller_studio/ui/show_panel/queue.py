"""Tonight's queue: drag to reorder, search, filter by category, import a CSV (with a per-row report,
shown in the panel's banner), add an item by hand. An empty queue says what to do."""

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
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import current_locale, tr, tr_noop, tr_text
from seller_studio.platform import rules
from seller_studio.show.csv_import import ImportResult
from seller_studio.show.inventory import TYPE_LABELS, Item
from seller_studio.show.selling import SellingError, format_money, to_cents

ALL_CATEGORIES = tr_noop("All categories")
STATUS_COLOURS = {"sold": "#6b7079", "sold_out": "#6b7079", "showing": "#3d8bfd", "unsold": "#f5a524"}


def import_report(result: ImportResult) -> str:
    """What the seller reads after an import: counts, then every rejected row and why."""
    lines = [tr("Imported {imported} item(s); {skipped} already there; {rejected} row(s) rejected.").format(
        imported=len(result.imported), skipped=len(result.skipped), rejected=len(result.errors))]
    if result.errors:
        lines.append("")
        lines.append(tr("Rejected rows (fix them in the sheet and import again; nothing from them was added):"))
        lines.extend(f"  {issue.shown()}" for issue in result.errors)
    if result.warnings:
        lines.append("")
        lines.extend(f"  {tr('note')}: {issue.shown()}" for issue in result.warnings)
    return "\n".join(lines)


class AddItemDialog(QDialog):
    """One item by hand: title, listing type, price (starting bid for auctions), quantity."""

    def __init__(self, parent: QWidget | None = None, currency: str = rules.DEFAULT_CURRENCY) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Add an item"))
        form = QFormLayout(self)
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(200)
        form.addRow(tr("Title"), self.title_edit)
        self.type_combo = QComboBox()
        for key in ("auction", "buy_it_now", "giveaway"):
            self.type_combo.addItem(tr(TYPE_LABELS.get(key, key)), key)
        form.addRow(tr("Type"), self.type_combo)
        self.price = QDoubleSpinBox()
        self.price.setRange(0, rules.to_dollars(rules.MONEY_MAX_CENTS))  # the platform's money maximum
        self.price.setDecimals(2)
        symbol = rules.currency_symbol(currency, current_locale())
        self.price.setPrefix(symbol + (" " if symbol[-1:].isalpha() else ""))
        self.price.setValue(1.0)
        form.addRow(tr("Price / starting bid"), self.price)
        self.quantity = QSpinBox()
        self.quantity.setRange(1, 9999)
        form.addRow(tr("Quantity"), self.quantity)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #ff9b9b;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def item(self) -> Item:
        kind = str(self.type_combo.currentData())
        price_cents = 0 if kind == "giveaway" else to_cents(f"{self.price.value():.2f}")
        return Item(self.title_edit.text().strip(), type=kind, price_cents=price_cents,
                    quantity=self.quantity.value())

    def _check(self) -> None:
        if not self.title_edit.text().strip():
            self.error.setText(tr("Give the item a title."))
            return
        self.accept()


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
        self.search.setPlaceholderText(tr("Search title, SKU, category…"))
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
        self.empty_hint = QLabel("")
        self.empty_hint.setObjectName("queueEmptyHint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #f5a524;")
        layout.addWidget(self.empty_hint)
        bottom = QHBoxLayout()
        self.import_button = QPushButton(tr("Import CSV…"))
        self.import_button.clicked.connect(self._choose_csv)
        bottom.addWidget(self.import_button)
        self.rebuild_button = QPushButton(tr("Queue all available"))
        self.rebuild_button.setToolTip(tr("Replace tonight's queue with every item that can still be sold"))
        self.rebuild_button.clicked.connect(self._rebuild)
        bottom.addWidget(self.rebuild_button)
        self.add_button = QPushButton(tr("Add item…"))
        self.add_button.clicked.connect(self._add_dialog)
        bottom.addWidget(self.add_button)
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
            kind = tr(TYPE_LABELS.get(item.type, item.type))
            price = "" if item.type == "giveaway" else f" · {format_money(item.price_cents, self.controller.currency)}"
            marker = "▶ " if item.id == now_id else ""
            row = QListWidgetItem(tr('{marker}{title}  —  {kind}{price} · qty {quantity} · {status}').format(marker=marker, title=item.title, kind=kind, price=price, quantity=item.quantity, status=item.status))
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            colour = STATUS_COLOURS.get("showing" if item.id == now_id else item.status)
            if colour:
                row.setForeground(QBrush(QColor(colour)))
            self.list.addItem(row)
        self.list.blockSignals(False)
        categories = [tr(ALL_CATEGORIES), *run.categories()]
        current = self.category.currentText()
        if [self.category.itemText(i) for i in range(self.category.count())] != categories:
            self.category.blockSignals(True)
            self.category.clear()
            self.category.addItems(categories)
            self.category.setCurrentText(current if current in categories else tr(ALL_CATEGORIES))
            self.category.blockSignals(False)
        self.count_label.setText(tr("{value} in tonight's queue").format(value=len(items)))
        hint = self.controller.empty_hint()
        self.empty_hint.setText(tr_text(hint) if hint else "")
        self.empty_hint.setVisible(bool(hint))
        self.apply_filter()

    def apply_filter(self) -> None:
        run = self.controller.run
        visible = set(run.search(self.search.text()))
        category = self.category.currentText()
        if category and category != tr(ALL_CATEGORIES):
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
            self.count_label.setText(tr_text(str(err)))

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Import inventory CSV"), str(Path.home()),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.import_requested.emit(path)

    def add_item(self, item: Item) -> Item:
        """Add ``item`` to the inventory and to the end of tonight's queue."""
        added = self.controller.add_item(item)
        self.refresh()
        return added

    def _add_dialog(self) -> None:
        dialog = AddItemDialog(self, self.controller.currency)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                self.add_item(dialog.item())
            except (ValueError, SellingError) as err:
                self.count_label.setText(tr_text(str(err)))

    def _rebuild(self) -> None:
        try:
            self.controller.run.build_from_inventory()
        except SellingError as err:
            self.count_label.setText(tr_text(str(err)))
