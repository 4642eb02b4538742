"""Put the show panel into the main window's "Show" dock and wire it to the window's hotkeys, its
platform client and its studio (for the product card). Needs only the window's public signals."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QTimer

from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, default_db_path
from seller_studio.ui.product_card import ProductCardOverlay
from seller_studio.ui.show_panel.panel import ShowPanel

log = logging.getLogger(__name__)


def default_show_id() -> str:
    """One show per day: a restart the same evening resumes tonight's queue and sales."""
    return time.strftime("show-%Y-%m-%d")


def install_show_panel(window: Any, store: InventoryStore | None = None, show_id: str | None = None) -> ShowPanel:
    store = store or InventoryStore(default_db_path())
    controller = ShowController(store, show_id or default_show_id())
    controller.restore_filter_words()
    panel = ShowPanel(controller)
    window.show_dock.setWidget(panel)
    window.next_item_requested.connect(panel.next_item)
    window.previous_item_requested.connect(panel.previous_item)
    window.start_auction_requested.connect(panel.arm_auction)

    overlay = ProductCardOverlay(controller, panel)
    panel.card_overlay = overlay  # type: ignore[attr-defined]
    window.studio_ready.connect(lambda: overlay.attach(window.studio))
    if getattr(window, "studio", None) is not None:
        overlay.attach(window.studio)

    def attach_client() -> bool:
        client = getattr(window, "platform_client", None)
        if client is None or controller.client is client:
            return controller.client is not None
        # The window already subscribes and re-emits every event (platform_event): take them there.
        controller.attach_client(client, subscribe=False)
        return True

    def on_platform_event(event: Any) -> None:
        attach_client()
        if controller.client is not None:
            controller.on_platform_event(event)

    window.platform_event.connect(on_platform_event)
    poll = QTimer(panel)  # the window has no "connected" signal; look for its client until it appears
    poll.timeout.connect(lambda: attach_client() and poll.stop())
    poll.start(250)
    return panel
