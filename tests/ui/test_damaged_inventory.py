"""The window with a damaged inventory database: it opens, says so in one sentence and recovers on request."""

from __future__ import annotations

import os
import sqlite3

import pytest

from seller_studio.show.inventory import InventoryStore, Item, default_db_path, quick_check
from seller_studio.ui.show_panel.mount import DamagedInventoryPanel
from seller_studio.ui.show_panel.panel import ShowPanel

pytestmark = pytest.mark.timeout(120)


def test_window_opens_on_a_damaged_inventory_and_recovers_it(make_window, small_profile) -> None:
    db = default_db_path()
    with InventoryStore(db) as store:
        for i in range(400):
            store.add_item(Item(f"Item {i}", sku=f"S{i}", description="x" * 300, price_cents=100 + i))
        store.record_sale(1, buyer="amy", price_cents=500, sale_type="auction", show_id="fri", auction_id="a1")
    with db.open("r+b") as f:
        f.seek(4096 * 20)
        f.write(os.urandom(4096))
    damaged = db.read_bytes()

    window = make_window(small_profile)
    panel = window.show_panel
    assert isinstance(panel, DamagedInventoryPanel)
    assert window.show_dock.widget() is panel
    assert "damaged" in panel.message.text() and "recover" in panel.message.text()
    assert "damaged" in window.notice_bar.label.text()
    assert db.read_bytes() == damaged  # the window wrote nothing to it
    window.show_panel.show_recap(None)  # End Show with no panel is harmless

    panel.recover_button.click()
    assert isinstance(window.show_panel, ShowPanel) and window.show_dock.widget() is window.show_panel
    assert "Inventory recovered" in window.notice_bar.label.text()
    assert list(db.parent.glob("inventory.damaged-*.db"))
    with sqlite3.connect(db) as conn:
        assert quick_check(conn) is None
    assert [s.buyer for s in window.show_panel.controller.store.list_sales()] == ["amy"]


@pytest.mark.parametrize("body", [b"\xff\xfenot json", b'{"geometry": "!!!", "state": ""}', b"[]",
                                  b'{"geometry": "AAAA", "state": "AAAA"}'])
def test_a_damaged_window_json_is_set_aside_with_a_notice(make_window, small_profile, body: bytes) -> None:
    from seller_studio.ui.window_layout import layout_path

    path = layout_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    window = make_window(small_profile)
    assert "window layout was damaged" in window.notice_bar.label.text()  # it used to be replaced silently
    assert not path.exists() and len(list(path.parent.glob("window.corrupt-*.json"))) == 1
    window.save_layout()
    assert path.exists()  # the next layout is saved normally
