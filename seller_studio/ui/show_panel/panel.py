"""The show panel: now showing (with selling controls) on top; chat, tonight's queue and sales in tabs.

Each widget takes the ShowController. Controller events reach the widgets through the CoreBridge
(queued signals), so they are handled on the GUI thread whatever thread emitted them. Import results
show in a banner inside the panel (never a box over the live preview); End Show opens the recap.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr, tr_text
from seller_studio.ui.bridge import CoreBridge
from seller_studio.ui.show_panel.chat import ChatWidget
from seller_studio.ui.show_panel.now_showing import NowShowingWidget
from seller_studio.ui.show_panel.queue import QueueWidget, import_report
from seller_studio.ui.show_panel.recap import RecapDialog
from seller_studio.ui.show_panel.sales import SalesWidget
from seller_studio.ui.workers import run_in_worker

_SALES_EVENTS = ("auction_sold", "purchase", "giveaway_won", "show_started", "show_ended")
_QUEUE_EVENTS = ("queue_changed", "now_showing", "auction_sold", "auction_unsold", "purchase", "sold_out",
                 "giveaway_won", "run_it_back")


class ImportBanner(QFrame):
    """The result of a CSV import, inside the panel: one line, the rejected rows on request, a close
    button. It never covers the preview and never waits for a click to let the seller go on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importBanner")
        self.setStyleSheet("QFrame#importBanner { background: #26364f; border-radius: 4px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        row = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        row.addWidget(self.summary, 1)
        self.details_button = QPushButton(tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(lambda on: self.details.setVisible(on))
        row.addWidget(self.details_button)
        self.close_button = QPushButton(tr("Dismiss"))
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(110)
        self.details.hide()
        layout.addWidget(self.details)
        self.hide()

    def show_report(self, text: str, *, is_error: bool = False) -> None:
        lines = text.splitlines()
        summary = lines[0] if lines else ""
        has_rejects = is_error or (bool(summary) and " 0 row(s) rejected" not in summary)
        self.summary.setText(summary)
        self.summary.setStyleSheet("color: #ff9b9b;" if has_rejects else "")
        rest = "\n".join(lines[1:]).strip()
        self.details.setPlainText(rest)
        self.details_button.setVisible(bool(rest))
        # Rejected rows need fixing: show them at once; a clean import stays one line.
        self.details_button.setChecked(bool(rest) and has_rejects)
        self.details.setVisible(self.details_button.isChecked())
        self.show()


class ShowPanel(QWidget):
    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.bridge = CoreBridge(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.import_banner = ImportBanner()
        layout.addWidget(self.import_banner)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.now_showing = NowShowingWidget(controller)
        splitter.addWidget(self.now_showing)
        self.tabs = QTabWidget()
        self.chat = ChatWidget(controller)
        self.queue = QueueWidget(controller)
        self.sales = SalesWidget(controller)
        self.tabs.addTab(self.chat, tr("Chat"))
        self.tabs.addTab(self.queue, tr("Run of show"))
        self.tabs.addTab(self.sales, tr("Sales"))
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
        self.recap_dialog: RecapDialog | None = None

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

        return run_in_worker(self.bridge, "csv-import", lambda: import_csv(store, path),
                             lambda result: self._import_done(result, "", show_report),
                             lambda exc: self._import_done(None, tr_text(str(exc)), show_report))

    def _import_done(self, result: Any, error: str, show_report: bool) -> None:
        if result is None:
            text = f"Could not import: {error}"
        else:
            self.controller.queue_new_items()
            text = import_report(result)
        self.last_import_report = text
        self.queue.refresh()
        self.now_showing.on_event("queue_changed", {})
        if show_report:
            self.import_banner.show_report(text, is_error=result is None)

    # --- End Show -------------------------------------------------------------------------------------

    def end_show_warning(self) -> str | None:
        """A line for End Show's question when a running auction or open giveaway would be cut short."""
        return self.controller.end_show_warning()

    def show_recap(self, stats: Any = None, *, live_s: float | None = None) -> RecapDialog:
        """End Show: the recap (duration, sales, total, peak viewers, drops) in a window of its own.
        ``stats``: the media session's last stats tick (for the drops)."""
        recap = self.controller.recap(stats, live_s=live_s)
        if self.recap_dialog is not None:
            self.recap_dialog.close()
        self.recap_dialog = RecapDialog(recap, self.controller, self.window())
        self.recap_dialog.show()
        self.sales.refresh()
        return self.recap_dialog

    def shutdown(self) -> None:
        """The window goes away: nothing of the panel runs any more (events, refresh and chat timers)."""
        self.bridge.detach_all()
        self.now_showing.disarm()
        self.now_showing._timer.stop()
        self.chat._timer.stop()
        if self.recap_dialog is not None:
            with contextlib.suppress(RuntimeError):  # already deleted with its parent window
                self.recap_dialog.close()
            self.recap_dialog = None
