"""Screenshots of the show panel's states (issue 20, item 3): run under Xvfb or offscreen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/show_panel_screenshots.py [OUT_DIR]

The panel is driven with the platform's own typed events (as the client delivers them), so what is
pictured is what a seller sees. Output: resources/screenshots/show-panel-*.png by default.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SELLER_STUDIO_HOME", tempfile.mkdtemp(prefix="panel-shots-"))


def main() -> int:
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtGui import QCursor
    from PySide6.QtWidgets import QApplication, QMessageBox

    from seller_studio.platform import protocol as p
    from seller_studio.show.controller import ShowController
    from seller_studio.show.demo import sample_inventory_path
    from seller_studio.show.inventory import InventoryStore
    from seller_studio.show.selling import ProductCard
    from seller_studio.ui.product_card import render_card
    from seller_studio.ui.show_panel import ShowPanel
    from seller_studio.ui.show_panel.chat import ChatWidget
    from seller_studio.ui.theme import apply_dark_theme

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_dark_theme(app)
    work = Path(tempfile.mkdtemp(prefix="panel-db-"))
    seq = iter(range(1, 10**9))

    def settle(ms: int = 150) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(widget, name: str) -> None:
        settle()
        widget.grab().save(str(out / f"show-panel-{name}.png"))
        print(out / f"show-panel-{name}.png")

    def panel_for(store: InventoryStore) -> tuple[ShowController, ShowPanel]:
        ctl = ShowController(store, "tonight")
        panel = ShowPanel(ctl)
        panel.resize(460, 860)
        panel.show()
        QCursor.setPos(panel.mapToGlobal(QPoint(panel.width() + 50, panel.height() + 50)))
        return ctl, panel

    # 1) A fresh inventory: the panel says what to do.
    ctl, panel = panel_for(InventoryStore(work / "empty.db"))
    shot(panel, "empty")
    # 2) An import with a rejected row: a banner in the panel, the preview stays clear.
    bad = work / "tonight.csv"
    bad.write_text(sample_inventory_path().read_text(encoding="utf-8")
                   + "Cards,Packs,,no title,1,Auction,5,,New,BAD-1\n", encoding="utf-8")
    panel.tabs.setCurrentWidget(panel.queue)
    panel.import_csv(str(bad)).join(10)
    settle(300)
    shot(panel, "import-banner")
    panel.import_banner.hide()

    # 3) A sale, then Next: the new item starts clean; a buy-it-now listing shows open.
    now = time.time()
    ctl.on_platform_event(p.ShowStarted(show_id="s1", started_at=now - 1500, seq=next(seq)))
    ctl.next_item()
    item = ctl.session.item
    ctl.on_platform_event(p.AuctionStarted(auction_id="a1", item_id=str(item.id), ends_at=now + 20,
                                           starting_bid=1.0, seq=next(seq)))
    ctl.on_platform_event(p.AuctionEnded(auction_id="a1", item_id=str(item.id), winner="shopaholic_sue",
                                         price=42.0, seq=next(seq)))
    panel.tabs.setCurrentWidget(panel.chat)
    shot(panel, "sold")
    ctl.next_item()
    pack = ctl.session.item
    ctl.on_platform_event(p.ListingOpened(item_id=str(pack.id), price=9.99, quantity=24, seq=next(seq)))
    ctl.on_platform_event(p.Sale(item_id=str(pack.id), buyer="vintage_vic", price=9.99, quantity_left=23,
                                 seq=next(seq)))
    for count in (48, 121, 87):
        ctl.on_platform_event(p.Viewers(count=count, seq=next(seq)))
    shot(panel, "buy-it-now-open")

    # 4) Sales tab: this show by default.
    panel.tabs.setCurrentWidget(panel.sales)
    shot(panel, "sales-this-show")

    # 5) The recap at End Show.
    dialog = panel.show_recap({"dropped": {"render_lag": 0, "encode_lag": 2, "network": 14}})
    shot(dialog, "recap")
    dialog.close()

    # 6) Chat: a reply target, the list holding still under the pointer, Ban's question.
    store = InventoryStore(work / "chat.db")
    chat_ctl = ShowController(store, "chat")
    chat = ChatWidget(chat_ctl)
    chat.resize(460, 520)
    chat.show()
    for i in range(1, 60):
        chat_ctl.on_platform_event(p.ChatMessage(msg_id=f"m{i}", user=("vintage_vic", "retro_rita", "cardqueen")[i % 3],
                                                 text=f"is the lamp still available? #{i}" if i % 7 == 0 else
                                                 f"love this one 🔥 #{i}", ts=float(i), seq=next(seq)))
    chat.flush()
    settle()
    chat.view.setCurrentIndex(chat.model.index(55))
    chat.reply_to_selected()
    QCursor.setPos(chat.view.viewport().mapToGlobal(QPoint(40, 60)))
    chat.flush()
    for i in range(60, 72):
        chat_ctl.on_platform_event(p.ChatMessage(msg_id=f"m{i}", user="newcomer", text=f"hi #{i}", ts=float(i),
                                                 seq=next(seq)))
    chat.flush()
    shot(chat, "chat-reply-paused")
    entry = chat.selected()
    asked = {}

    def grab_question() -> None:
        box = next(w for w in app.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        settle(100)
        box.grab().save(str(out / "show-panel-ban-question.png"))
        print(out / "show-panel-ban-question.png")
        asked["text"] = box.text()
        box.reject()

    if entry is not None:
        QTimer.singleShot(200, grab_question)
        chat.ban_selected()

    # 7) A long title on the on-stream product card: two lines, nothing cut.
    from PySide6.QtGui import QImage

    card = ProductCard("Scarlet & Violet Booster Pack, 151 — Sealed Bundle Charizard Edition", "Buy It Now",
                       "$9.99", quantity_left=23)
    rgba = render_card(card, 512, 216)
    image = QImage(rgba.data, 512, 216, 512 * 4, QImage.Format.Format_RGBA8888)
    image.save(str(out / "show-panel-card-long-title.png"))
    print(out / "show-panel-card-long-title.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
