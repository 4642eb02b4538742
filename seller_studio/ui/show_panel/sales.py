"""The Sales tab: this show's sales by default (the total a seller asks about after a show), every
show's on request, and the CSV export of what is listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr, tr_text
from seller_studio.show.sales_export import format_time
from seller_studio.show.selling import format_money, format_total
from seller_studio.ui.workers import run_in_worker

COLUMNS = ("Item", "SKU", "Buyer", "Price", "Time", "Type")


class SalesWidget(QWidget):
    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.total = QLabel("")
        row.addWidget(self.total, 1)
        self.all_shows = QCheckBox(tr("All shows"))
        self.all_shows.setToolTip(tr("Show the sales of every show, not only this one"))
        self.all_shows.toggled.connect(lambda _: self.refresh())
        row.addWidget(self.all_shows)
        # A sale's lot from the show's recording (studio/chapters.clip_for_sale, set by the window)
        self.clip_finder: Any = None
        self.clip_button = QPushButton(tr("Open clip"))
        self.clip_button.setToolTip(tr("Play the moment of this sale from the show's recording"))
        self.clip_button.clicked.connect(self.open_clip)
        row.addWidget(self.clip_button)
        self.last_clip: Path | None = None
        self.open_file = lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))  # tests replace it
        self.export_button = QPushButton(tr("Export CSV…"))
        self.export_button.clicked.connect(self._choose_export)
        row.addWidget(self.export_button)
        layout.addLayout(row)
        self.refresh()

    @property
    def is_all_shows(self) -> bool:
        return self.all_shows.isChecked()

    def refresh(self) -> None:
        sales = self.controller.all_sales() if self.is_all_shows else self.controller.sales()
        self.table.setRowCount(len(sales))
        for r, sale in enumerate(sales):
            values = (sale.title, sale.sku or "", sale.buyer, format_money(sale.price_cents, sale.currency),
                      format_time(sale.sold_at), sale.type.replace("_", " "))
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        scope = tr("All shows") if self.is_all_shows else tr("This show")
        count = tr("{n} sale(s)").format(n=len(sales))
        self.total.setText(f"{scope}: {count} · {format_total(sales, self.controller.currency)}")

    def selected_sale(self) -> Any:
        sales = self.controller.all_sales() if self.is_all_shows else self.controller.sales()
        row = self.table.currentRow()
        return sales[row] if 0 <= row < len(sales) else None

    def open_clip(self) -> None:
        """Cut (on a worker, the first time) and open the selected sale's clip."""
        sale = self.selected_sale()
        if sale is None or self.clip_finder is None:
            self.total.setText(tr("Pick a sale first."))
            return
        finder = self.clip_finder
        order_ids = (f"sale-{sale.id}", f"auction-{sale.auction_id}" if sale.auction_id else "")
        self.total.setText(tr('Finding the clip of {title}…').format(title=sale.title))

        def done(path: Path) -> None:
            self.last_clip = path
            self.total.setText(tr('Clip: {name}').format(name=path.name))
            self.open_file(path)

        run_in_worker(self, "sale-clip", lambda: finder(item_id=sale.item_id, buyer=sale.buyer, order_ids=order_ids),
                      done, lambda exc: self.total.setText(tr_text(str(exc))))

    def export_to(self, path: Path | str) -> int:
        count = self.controller.export_sales(path, all_shows=self.is_all_shows)
        self.total.setText(tr('Exported {count} sale(s) to {name}').format(count=count, name=Path(path).name))
        return count

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export sales"), str(Path.home() / "sales.csv"), "CSV (*.csv)")
        if path:
            self.export_to(path)
