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


def _geometry_on_a_monitor_that_is_gone() -> bytes:
    """QWidget::saveGeometry's format (version 3) for a 1200x800 window at (5000, 3000): on a second
    monitor to the right that is no longer connected."""
    from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QRect

    data = QByteArray()
    stream = QDataStream(data, QIODevice.OpenModeFlag.WriteOnly)
    stream.setVersion(QDataStream.Version.Qt_4_0)
    stream.writeUInt32(0x1D9D0CB)
    stream.writeUInt16(3)
    stream.writeUInt16(0)
    rect = QRect(5000, 3000, 1200, 800)
    stream << rect << rect
    stream.writeInt32(1)  # screen number
    stream.writeUInt8(0)  # maximized
    stream.writeUInt8(0)  # full screen
    stream.writeInt32(3840)  # screen width
    stream << rect
    return bytes(data)


def test_a_layout_saved_on_other_screens_is_not_called_damaged(make_window, small_profile) -> None:
    """A seller who unplugs the big monitor: the saved geometry no longer fits, and Qt refuses it.
    That is no damage: no notice, the file stays, the docks come back, the window gets its default size."""
    import base64
    import json

    from PySide6.QtWidgets import QMainWindow

    from seller_studio.ui.window_layout import layout_path

    geometry = _geometry_on_a_monitor_that_is_gone()
    assert not QMainWindow().restoreGeometry(geometry)  # what the studio meets: Qt will not place it
    first = make_window(small_profile)
    state = base64.b64encode(bytes(first.saveState())).decode("ascii")
    path = layout_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"geometry": base64.b64encode(geometry).decode("ascii"), "state": state}))
    window = make_window(small_profile)
    assert "damaged" not in window.notice_bar.label.text()
    assert path.exists() and not list(path.parent.glob("window.corrupt-*.json"))
