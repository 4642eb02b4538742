"""The show panel: now showing (with selling controls) on top; chat, tonight's queue and sales in tabs.

Each widget takes the ShowController. Controller events reach the widgets through the CoreBridge
(queued signals), so they are handled on the GUI thread whatever thread emitted them.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QSplitter, QTabWidget, QVBoxLayout, QWidget

from seller_studio.ui.bridge import CoreBridge
from seller_studio.ui.show_panel.chat import ChatWidget
from seller_studio.ui.show_panel.now_showing import NowShowingWidget
from seller_studio.ui.show_panel.queue import ImportReportDialog, QueueWidget, import_report
from seller_studio.ui.show_panel.sales import SalesWidget

_SALES_EVENTS = ("auction_sold", "purchase", "giveaway_won")
_QUEUE_EVENTS = ("queue_changed", "now_showing", "auction_sold", "auction_unsold", "purchase", "sold_out",
                 "giveaway_won", "run_it_back")


class ShowPanel(QWidget):
    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.bridge = CoreBridge(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.now_showing = NowShowingWidget(controller)
        splitter.addWidget(self.now_showing)
        self.tabs = QTabWidget()
        self.chat = ChatWidget(controller)
        self.queue = QueueWidget(controller)
        self.sales = SalesWidget(controller)
        self.tabs.addTab(self.chat, "Chat")
        self.tabs.addTab(self.queue, "Run of show")
        self.tabs.addTab(self.sales, "Sales")
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter)
        # Text fields and spin boxes take focus only when clicked: the window's single-key hotkeys
        # (scene digits, N/P/A) must keep working until the seller deliberately clicks in to type.
        for field in self.findChildren(QLineEdit) + self.findChildren(QAbstractSpinBox):
            field.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.queue.import_requested.connect(self.import_csv)
        self.bridge.event.connect(self._on_event)
        self.bridge.attach(controller.events)
        self.last_import_report = ""

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "chat_appended":
            return  # the chat model polls the ring on its own timer (batched)
        if name == "chat_changed":
            self.chat.on_changed(str(payload.get("msg_id", "")))
            return
        if name == "user_moderated":
            self.chat.status.setText(f"{payload.get('user')}: {payload.get('action')}")
            return
        self.now_showing.on_event(name, payload)
        if name in _QUEUE_EVENTS:
            self.queue.refresh()
        if name in _SALES_EVENTS:
            self.sales.refresh()

    # --- hotkeys from the window ----------------------------------------------------------------------

    def next_item(self) -> Any:
        return self.now_showing.next_item()

    def previous_item(self) -> Any:
        return self.now_showing.previous_item()

    def arm_auction(self) -> None:
        self.now_showing.arm_auction()

    # --- CSV import: parse and write on a worker, report and queue on the GUI thread ------------------

    def import_csv(self, path: str, *, show_report: bool = True) -> threading.Thread:
        from seller_studio.show.csv_import import import_csv

        store = self.controller.store

        def work() -> None:
            try:
                result = import_csv(store, path)
            except Exception as exc:  # noqa: BLE001 - shown to the seller
                self.bridge.post(lambda e=exc: self._import_done(None, str(e), show_report))
                return
            self.bridge.post(lambda: self._import_done(result, "", show_report))

        thread = threading.Thread(target=work, name="ui-csv-import", daemon=True)
        thread.start()
        return thread

    def _import_done(self, result: Any, error: str, show_report: bool) -> None:
        if result is None:
            text = f"Could not import: {error}"
        else:
            self.controller.queue_new_items()
            text = import_report(result)
        self.last_import_report = text
        self.queue.refresh()
        if show_report:
            ImportReportDialog(text, self).open()

    def shutdown(self) -> None:
        self.bridge.detach_all()
        self.now_showing.disarm()
