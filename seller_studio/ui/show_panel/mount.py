"""Put the show panel into the main window's "Show" dock and wire it to the window's hotkeys, its
studio (for the product card) and, once the window has connected, its platform client: the show
controller subscribes to the client itself (no events relayed through the window, no polling).
Needs only the window's public signals."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from seller_studio.common.errors import UserError
from seller_studio.i18n import tr, tr_text
from seller_studio.show.controller import ShowController
from seller_studio.show.demo import needs_samples, open_demo_store, sample_inventory_path
from seller_studio.show.inventory import DamagedDatabaseError, InventoryStore, default_db_path, recover
from seller_studio.studio.chapters import clip_for_sale
from seller_studio.ui.product_card import ProductCardOverlay
from seller_studio.ui.show_panel.break_tab import BreakTab
from seller_studio.ui.show_panel.panel import ShowPanel
from seller_studio.ui.show_panel.scene_follow import SceneFollowWidget

log = logging.getLogger(__name__)


def default_show_id() -> str:
    """One show per day: a restart the same evening resumes tonight's queue and sales."""
    return time.strftime("show-%Y-%m-%d")


class DamagedInventoryPanel(QWidget):
    """Stands in for the show panel while the inventory database is damaged: says so in one sentence and
    offers the recovery (the window itself opens and can stream; nothing is written to the file)."""

    def __init__(self, window: Any, error: DamagedDatabaseError, show_id: str | None) -> None:
        super().__init__()
        self.window_ref, self.error, self.show_id = window, error, show_id
        layout = QVBoxLayout(self)
        self.message = QLabel(tr_text(str(error)))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.recover_button = QPushButton(tr("Recover the inventory"))
        self.recover_button.setToolTip(tr("Sets the damaged file aside (kept) and rebuilds it from the last good "
                                       "backup and the sales it still holds"))
        self.recover_button.clicked.connect(self.recover)
        layout.addWidget(self.recover_button)
        layout.addStretch(1)

    def show_recap(self, *_args: Any, **_kwargs: Any) -> None:
        """No show panel, no recap (the window calls this at End Show)."""

    def end_show_warning(self) -> str | None:
        return None

    def recover(self) -> ShowPanel | None:
        try:
            report = recover(self.error.path)
        except UserError as err:
            self.message.setText(tr('{error}\nRecovery failed: {err}').format(error=tr_text(str(self.error)), err=tr_text(str(err))))
            return None
        self.window_ref.notice(tr('Inventory recovered: {value}.').format(value=tr_text(report.summary())))
        panel = install_show_panel(self.window_ref, show_id=self.show_id)
        self.window_ref.show_panel = panel
        return panel


def ask_before_start(window: Any, action: str) -> bool:
    """The health gate's question (studio/health_gate.py) in the window: True when the auction or
    draw may start (the stream is fine, or the seller said yes)."""
    studio_controller = getattr(window, "controller", None)
    question = studio_controller.start_question(action) if studio_controller is not None else None
    if question is None:
        return True
    title = tr("Start the auction?") if action == "auction" else tr("Start the draw?")
    return bool(window.confirm(title, question))


def install_show_panel(window: Any, store: InventoryStore | None = None,
                       show_id: str | None = None) -> ShowPanel | DamagedInventoryPanel:
    is_demo = getattr(window, "sandbox", None) is not None
    if store is None:
        try:
            store = open_demo_store() if is_demo else InventoryStore(default_db_path())
        except DamagedDatabaseError as err:
            # One sentence and the way out; never a silent exit, never a write to the damaged file.
            log.error("%s", err)
            window.notice(tr_text(str(err)))
            stand_in = DamagedInventoryPanel(window, err, show_id)
            window.show_dock.setWidget(stand_in)  # its button runs the recovery; no modal dialog at start-up
            return stand_in
    profile = getattr(window, "profile", None)
    currency = profile.show_currency if profile is not None else "USD"
    controller = ShowController(store, show_id or default_show_id(), currency=currency)
    controller.restore_filter_words()
    if is_demo and needs_samples(store):
        try:  # the demo starts with a few items, so Next and the auction buttons do something at once
            controller.import_csv(sample_inventory_path())
        except Exception as exc:  # noqa: BLE001 - the demo still opens; the panel says what to do
            log.warning("demo sample items not loaded: %s", exc)
    panel = ShowPanel(controller)
    window.show_dock.setWidget(panel)
    window.next_item_requested.connect(panel.next_item)
    window.previous_item_requested.connect(panel.previous_item)
    window.start_auction_requested.connect(panel.arm_auction)
    panel.now_showing.ask_before_start = lambda action: ask_before_start(window, action)
    if getattr(window, "controller", None) is not None:
        # each lot becomes a chapter of the recording; show moments switch scenes (Scenes tab)
        window.controller.follow_show(controller)
        panel.scene_follow = SceneFollowWidget(window.controller, panel)  # type: ignore[attr-defined]
        panel.tabs.addTab(panel.scene_follow, tr("Scenes"))
        panel.break_tab = BreakTab(window, controller, panel)  # type: ignore[attr-defined]
        panel.tabs.addTab(panel.break_tab, tr("Break"))
        panel.sales.clip_finder = lambda **sale: clip_for_sale(window.controller.recording_folder(), **sale)

    overlay = ProductCardOverlay(controller, panel)
    panel.card_overlay = overlay  # type: ignore[attr-defined]
    window.studio_ready.connect(lambda: overlay.attach(window.studio))
    if getattr(window, "studio", None) is not None:
        overlay.attach(window.studio)

    # The controller takes the platform client once, then hears its events first-hand.
    window.platform_connected.connect(controller.attach_client)
    if getattr(window, "platform_client", None) is not None:
        controller.attach_client(window.platform_client)
    return panel
