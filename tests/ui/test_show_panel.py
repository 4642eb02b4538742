"""The show panel driven like a seller would, against the embedded sandbox with seeded bidders.

The asyncio side (platform client, controller) runs on a qasync loop inside Qt, as in the app.
"""

from __future__ import annotations

import asyncio
import csv
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.studio import Studio
from seller_studio.platform import protocol as p
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore
from seller_studio.show.selling import AuctionPreset, ProductCard
from seller_studio.ui.product_card import CardStyle, ProductCardOverlay, render_card
from seller_studio.ui.show_panel import ShowPanel
from seller_studio.ui.show_panel.chat import ChatWidget
from tests.show.sandbox_show import (
    Buyer,
    Recorder,
    assert_platform_matches_studio,
    sandbox_config,
    set_sim,
    wait_until,
)
from tests.ui.conftest import run_async

pytestmark = pytest.mark.qt

PRESETS = (AuctionPreset("Test 3 s", duration_s=3, counter_bid_s=1.5),
           AuctionPreset("Test sudden death", duration_s=3, is_sudden_death=True))
CSV_ROWS = [
    ["Category", "Sub Category", "Title", "Description", "Quantity", "Type", "Price", "Shipping Profile",
     "Condition", "SKU"],
    ["Kitchen", "Glass", "Vintage Pyrex Bowl", "", "1", "Auction", "5", "", "Used", "PYREX-1"],
    ["Cards", "Pokemon", "Holo Charizard Card", "", "1", "Auction", "10", "", "NM", "CARD-1"],
    ["Home", "Lighting", "Brass Desk Lamp", "", "1", "Auction", "3", "", "Used", "LAMP-1"],
    ["Cards", "Packs", "Mystery Pack", "", "2", "Buy It Now", "4", "", "New", "PACK-1"],
    ["Extras", "Stickers", "Sticker Sheet", "", "1", "Giveaway", "0", "", "New", "GIVE-1"],
    ["Cards", "Packs", "", "no title", "1", "Auction", "5", "", "New", "BAD-1"],
    ["Cards", "Packs", "Zero Qty", "", "0", "Auction", "5", "", "New", "BAD-2"],
]


def ocr(image_rgb: np.ndarray) -> str:
    """Tesseract's reading of an RGB picture (scaled up: it reads ~30 px letters best)."""
    import cv2

    big = cv2.resize(image_rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    ok, png = cv2.imencode(".png", cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    assert ok
    out = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "6"], input=png.tobytes(),
                         capture_output=True, timeout=30, check=True)
    return out.stdout.decode("utf-8", "replace")


def park_pointer_away(widget: Any) -> None:
    """Move the mouse pointer off ``widget`` (Xvfb puts it mid-screen, often right on the widget)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    QCursor.setPos(widget.mapToGlobal(QPoint(widget.width() + 40, widget.height() + 40)))


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9$.:]", "", text.lower())


def need_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is required: run scripts/setup.sh (installs tesseract-ocr)")


async def card_frame(studio: Studio, overlay: ProductCardOverlay) -> np.ndarray:
    """The card's area of a program frame the compositor rendered after the card's latest picture."""
    renders = overlay.renders
    overlay.refresh()
    await asyncio.sleep(0.15)  # a few compositor ticks: the newest overlay picture is in the frame
    latest = studio.preview()
    assert latest is not None and overlay.layer is not None and overlay.layer.rect is not None
    assert overlay.renders >= renders
    r = overlay.layer.rect
    return latest[1][r.y:r.y + r.h, r.x:r.x + r.w].copy()


def test_card_text_reads_back_from_a_rendered_picture(qapp: Any) -> None:
    need_tesseract()
    card = ProductCard("Holo Charizard Card", "Current bid", "$123.00", "0:09", bidder="cardqueen")
    rgba = render_card(card, 512, 216, CardStyle())
    assert rgba.shape == (216, 512, 4) and rgba[:, :, 3].max() == 255
    text = squash(ocr(np.ascontiguousarray(rgba[:, :, :3])))
    assert "holocharizardcard" in text and "$123.00" in text and "0:09" in text


def test_panel_runs_a_five_item_show(qapp: Any, qtbot: Any, tmp_path: Path) -> None:
    need_tesseract()
    csv_path = tmp_path / "tonight.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(CSV_ROWS)
    store = InventoryStore(tmp_path / "inventory.db")
    sandbox = start_sandbox(sandbox_config(seed=11), with_ingest=False)
    studio = Studio(960, 540, 30)
    studio.add_source(TestPatternSource("pattern", 960, 540, 30))
    studio.add_scene(Scene("Main", [Layer("pattern")]))
    studio.start()
    results: dict[str, Any] = {}

    async def scenario() -> None:
        client = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        ctl = ShowController(store, "tonight", client=client, presets=PRESETS)
        rec = Recorder(ctl)
        panel = ShowPanel(ctl)
        qtbot.addWidget(panel)
        panel.resize(480, 900)
        panel.show()
        overlay = ProductCardOverlay(ctl, panel)
        overlay.attach(studio)
        ns = panel.now_showing
        rule_texts: list[str] = []
        set_rule = ns.rule.setText
        ns.rule.setText = lambda t: (rule_texts.append(t), set_rule(t))  # type: ignore[method-assign]
        buyer = await Buyer.connect(sandbox, "test_buyer")
        try:
            await client.start_show("Tonight")
            # Import button path (minus the file dialog): good rows queue up, bad rows are reported.
            panel.import_csv(str(csv_path), show_report=False)
            await wait_until(lambda: panel.last_import_report)
            report = panel.last_import_report
            assert "Imported 5" in report and "row 7" in report and "row 8" in report, report
            assert panel.queue.list.count() == 5
            panel.queue.search.setText("charizard")
            assert panel.queue.visible_rows() == [1]
            panel.queue.search.setText("")
            panel.queue.category.setCurrentText("Cards")
            assert panel.queue.visible_rows() == [1, 3]
            panel.queue.category.setCurrentIndex(0)
            await wait_until(lambda: ctl.clock.rtt_s is not None and ctl.clock.rtt_s < 1.0)

            # 1) Next (hotkey path), the card shows in the video; auction in two keystrokes.
            panel.next_item()
            assert ns.title.text() == "Vintage Pyrex Bowl"
            text = squash(await asyncio.to_thread(ocr, await card_frame(studio, overlay)))
            assert "vintagepyrexbowl" in text and "$5.00" in text, text
            results["ocr_before"] = text
            panel.arm_auction()
            QTest.keyClick(panel, Qt.Key.Key_1)
            a1 = await wait_until(lambda: ctl.session.auction)
            assert not ns.next_button.isEnabled()  # a running auction cannot be left or cancelled
            await wait_until(lambda: ns.countdown.text() not in ("", "0:00"))
            await asyncio.sleep(max(0.0, a1.countdown.remaining_s() - 1.0))
            await buyer.bid(ctl.platform_id(a1.auction_id), a1.next_min_bid_cents / 100 + 50)
            _, sold1 = await wait_until(lambda: rec.first("auction_sold", auction_id=a1.auction_id))
            assert any("counter-bid" in t for t in rule_texts), rule_texts
            text = squash(await asyncio.to_thread(ocr, await card_frame(studio, overlay)))
            results["ocr_sold"] = text
            assert "sold" in text and squash(sold1["winner"])[:6] in text, (text, sold1)

            # 2) Sudden death from its preset button.
            ns.next_button.click()
            ns.preset_buttons[1].click()
            a2 = await wait_until(lambda: ctl.session.auction if ctl.session.auction
                                  and ctl.session.auction.auction_id != a1.auction_id else None)
            ends_at = a2.countdown.ends_at
            await asyncio.sleep(max(0.0, a2.countdown.remaining_s() - 1.0))
            await buyer.bid(ctl.platform_id(a2.auction_id), a2.next_min_bid_cents / 100 + 80)
            await wait_until(lambda: rec.first("auction_sold", auction_id=a2.auction_id))
            assert a2.countdown.ends_at == ends_at
            assert any("Sudden death" in t for t in rule_texts)

            # 3) No bids -> unsold -> Run it back.
            set_sim(sandbox, bid_per_min=0)
            ns.next_button.click()
            ns.preset_buttons[0].click()
            a3 = await wait_until(lambda: ctl.session.auction if ctl.session.auction
                                  and ctl.session.auction.auction_id != a2.auction_id else None)
            await wait_until(lambda: rec.first("auction_unsold", auction_id=a3.auction_id))
            await wait_until(lambda: ns.run_back_button.isEnabled())
            assert any("No bids" in t for t in rule_texts) and ns.caption.text() == "No bids"
            set_sim(sandbox, bid_per_min=40)
            ns.run_back_button.click()
            a4 = await wait_until(lambda: ctl.session.auction if ctl.session.auction
                                  and ctl.session.auction.auction_id != a3.auction_id else None)
            await asyncio.sleep(0.5)
            await buyer.bid(ctl.platform_id(a4.auction_id), a4.next_min_bid_cents / 100 + 100)
            await wait_until(lambda: rec.first("auction_sold", auction_id=a4.auction_id))

            # 4) Buy it now, 2 in stock.
            ns.next_button.click()
            assert ns.title.text() == "Mystery Pack" and ns.bin_button.isEnabled()
            ns.bin_quantity.setValue(2)
            ns.bin_button.click()
            await wait_until(lambda: rec.named("listing_opened"))
            pack_id = str(ctl.session.item.id)  # type: ignore[union-attr]
            await buyer.buy(pack_id)
            await buyer.buy(pack_id)
            await wait_until(lambda: rec.named("sold_out"))
            await wait_until(lambda: not ns.bin_button.isEnabled())

            # 5) Giveaway with a short entry window.
            ns.next_button.click()
            ns.giveaway_s.setValue(2)
            ns.giveaway_button.click()
            g = await wait_until(lambda: ctl.session.giveaway)
            await buyer.enter(ctl.platform_id(g.giveaway_id))
            await wait_until(lambda: rec.first("giveaway_won"))

            # Platform and studio agree; the sales tab lists them; export works.
            results["compared"] = assert_platform_matches_studio(sandbox, ctl)
            await wait_until(lambda: panel.sales.table.rowCount() == len(ctl.sales()))
            assert len(ctl.sales()) == 3 + 2 + 1  # three auctions sold (one after a run-back), 2 packs, 1 giveaway
            out = tmp_path / "sales.csv"
            assert panel.sales.export_to(out) == 6 and out.read_text(encoding="utf-8").count("\n") == 7

            # Chat: select a message, one keystroke (R) to reply, type, Enter.
            await wait_until(lambda: panel.chat.model.rowCount() > 5)
            row = next(r for r in range(panel.chat.model.rowCount())
                       if not panel.chat.model.entry(r).is_host)  # type: ignore[union-attr]
            target = panel.chat.model.entry(row)
            assert target is not None
            panel.chat.view.setCurrentIndex(panel.chat.model.index(row))
            panel.chat.view.setFocus()
            QTest.keyClick(panel.chat.view, Qt.Key.Key_R)
            assert panel.chat.input.text() == f"@{target.user} "
            QTest.keyClicks(panel.chat.input, "thanks!")
            QTest.keyClick(panel.chat.input, Qt.Key.Key_Return)
            await wait_until(lambda: any(e.is_host and e.reply_to == target.msg_id and e.text.endswith("thanks!")
                                         for e in ctl.chat.entries()))
            panel.chat.view.setCurrentIndex(panel.chat.model.index(row))
            panel.chat.pin_selected()
            await wait_until(lambda: target.is_pinned)
        finally:
            panel.shutdown()
            await buyer.client.close()
            await ctl.close()
            await client.close()

    try:
        run_async(qapp, scenario)
    finally:
        studio.stop()
        sandbox.stop()
        store.close()
    print(f"\nOCR before auction: {results.get('ocr_before')!r}\nOCR after sale: {results.get('ocr_sold')!r}"
          f"\nplatform vs studio: {results.get('compared')}")


def test_chat_list_keeps_10000_and_stays_smooth_at_50_per_second(qapp: Any, qtbot: Any, tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "inventory.db")
    ctl = ShowController(store, "chat-test")
    widget = ChatWidget(ctl)
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    park_pointer_away(widget)  # the list follows new messages only while the pointer is not on it
    seq = iter(range(1, 10**9))

    def feed(n: int) -> None:
        for _ in range(n):
            i = next(seq)
            badges = ["buyer"] if i % 17 == 0 else []
            text = "how much is shipping?" if i % 11 == 0 else f"message number {i} 🔥"
            ctl.on_platform_event(p.ChatMessage(msg_id=f"m{i}", user=f"user{i % 50}", text=text, ts=float(i),
                                                badges=badges, seq=i))

    # Fill past the ring: 12,000 in, the newest 10,000 kept, in bursts the way a flood arrives.
    t0 = time.perf_counter()
    for _ in range(24):
        feed(500)
        widget.flush()
        qapp.processEvents()
    fill_s = time.perf_counter() - t0
    assert widget.model.rowCount() == 10_000 and len(ctl.chat) == 10_000
    assert widget.model.entry(0).msg_id == "m2001"  # type: ignore[union-attr]
    assert widget.model.entry(9_999).msg_id == "m12000"  # type: ignore[union-attr]

    # Now 50 messages/s for 3 s (one per 20 ms) while a 10 ms probe timer measures event-loop stalls.
    gaps_ms: list[float] = []
    last = [time.perf_counter()]
    flush_ms: list[float] = []
    original_flush = widget.model.flush

    def timed_flush() -> None:
        start = time.perf_counter()
        original_flush()
        flush_ms.append((time.perf_counter() - start) * 1000)

    widget.model.flush = timed_flush  # type: ignore[method-assign]

    from PySide6.QtCore import QTimer

    probe = QTimer()
    probe.timeout.connect(lambda: (gaps_ms.append((time.perf_counter() - last[0]) * 1000),
                                   last.__setitem__(0, time.perf_counter())))
    feeder = QTimer()
    feeder.timeout.connect(lambda: feed(1))
    last[0] = time.perf_counter()
    probe.start(10)
    feeder.start(20)
    qtbot.wait(3000)
    feeder.stop()
    probe.stop()
    qtbot.wait(100)
    assert widget.model.rowCount() == 10_000
    assert widget.model.entry(9_999).msg_id == f"m{next(seq) - 1}"  # type: ignore[union-attr]
    bar = widget.view.verticalScrollBar()
    assert bar.value() >= bar.maximum() - 4  # followed the newest message
    worst_at = gaps_ms.index(max(gaps_ms))
    print(f"\nworst gap {max(gaps_ms):.0f} ms at probe tick {worst_at} of {len(gaps_ms)}")
    gaps_ms.sort()
    p99 = gaps_ms[int(len(gaps_ms) * 0.99) - 1]
    print(f"\nchat: 12,000 messages into a 10,000 ring in {fill_s * 1000:.0f} ms "
          f"({12_000 / fill_s:,.0f} msg/s); at 50 msg/s the 10 ms probe's gaps: median "
          f"{gaps_ms[len(gaps_ms) // 2]:.1f} ms, p99 {p99:.1f} ms, max {gaps_ms[-1]:.1f} ms; "
          f"batched flush median {sorted(flush_ms)[len(flush_ms) // 2]:.2f} ms, max {max(flush_ms):.2f} ms")
    # A seller notices ~100 ms. What the chat costs the event loop is its batched flush: that is
    # asserted. The probe's gaps are printed, not asserted: on two shared cores they measure the
    # machine's load as much as the studio (a 254 ms gap with two suites running at once).
    flushes = sorted(flush_ms)
    assert flushes and flushes[len(flushes) // 2] < 5 and flushes[-1] < 50, flushes[-5:]
    store.close()


def test_window_hosts_the_show_panel(qtbot: Any, make_window: Any, small_profile: Any) -> None:
    from seller_studio.show.inventory import Item
    from seller_studio.ui.product_card import CARD_SOURCE_ID

    window = make_window(small_profile)
    panel = window.show_panel
    assert window.show_dock.widget() is panel
    ctl = panel.controller
    ctl.store.add_item(Item("Lot 7", type="auction", price_cents=700))
    ctl.run.build_from_inventory()
    window.next_item_requested.emit()  # the window's Next hotkey
    assert panel.now_showing.title.text() == "Lot 7"
    window.start_auction_requested.emit()  # first keystroke of the auction: waits for a preset key
    assert panel.now_showing.is_armed
    panel.now_showing.disarm()
    qtbot.waitUntil(lambda: CARD_SOURCE_ID in window.studio.sources, timeout=5000)
    overlay = panel.card_overlay
    qtbot.waitUntil(lambda: overlay.renders > 0, timeout=2000)
