"""The show's state the panel renders, without Qt: lines that belong to the item showing and to this
show, one now-showing state across a restart, what to do with nothing to sell, the show run and its
recap, the demo's sample items. Platform events are fed as the client delivers them (typed events)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seller_studio.platform import protocol as p
from seller_studio.show.controller import ShowController
from seller_studio.show.csv_import import parse_inventory_csv
from seller_studio.show.demo import needs_samples, sample_inventory_path
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.show.recap import compute_recap, dropped_frames
from seller_studio.show.selling import SellingError
from tests.show.sandbox_show import add_tonights_items


class Seq:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


def sold(ctl: ShowController, seq: Seq, item_id: int, winner: str, price: float) -> None:
    aid = f"a{seq()}"
    ends = time.time() + 30
    ctl.on_platform_event(p.AuctionStarted(auction_id=aid, item_id=str(item_id), ends_at=ends, starting_bid=1.0,
                                           seq=seq.n))
    ctl.on_platform_event(p.AuctionEnded(auction_id=aid, item_id=str(item_id), winner=winner, price=price,
                                         seq=seq()))


def test_every_line_under_the_item_belongs_to_it(store: InventoryStore) -> None:
    pyrex, card, lamp, pack, sticker = add_tonights_items(store)
    ctl = ShowController(store, "tonight")
    ctl.run.build_from_inventory()
    seq = Seq()
    ctl.next_item()
    sold(ctl, seq, pyrex.id or 0, "shopaholic_sue", 7.0)
    assert ctl.session.note_text() == "Sold to shopaholic_sue for $7.00."
    # Next: nothing of the previous item stays under the new one.
    assert ctl.next_item().id == card.id  # type: ignore[union-attr]
    assert ctl.session.note_text() == ""
    # Back on the sold item: its own result (this show's), not another's.
    ctl.previous_item()
    assert ctl.session.note_text() == "Sold to shopaholic_sue for $7.00."
    back = ctl.product_card()  # the card says sold, not "Starting bid", on a sold lot
    assert back is not None and (back.price_caption, back.price_text, back.sold_to) == ("Sold", "$7.00",
                                                                                        "shopaholic_sue")
    ctl.run.show(ctl.run.item_ids.index(pack.id))
    # Buy it now: the open listing shows; each sale replaces the line with its own buyer.
    ctl.on_platform_event(p.ListingOpened(item_id=str(pack.id), price=4.0, quantity=2, seq=seq()))
    listing = ctl.session.open_listing()
    assert listing is not None and listing.quantity_left == 2
    assert "Buy It Now open" in ctl.session.note_text()
    ctl.on_platform_event(p.Sale(item_id=str(pack.id), buyer="shopaholic_sue", price=4.0, quantity_left=1, seq=seq()))
    assert ctl.session.note_text().startswith("Bought by shopaholic_sue") and "1 left" in ctl.session.note_text()
    ctl.on_platform_event(p.Sale(item_id=str(pack.id), buyer="vintage_vic", price=4.0, quantity_left=0, seq=seq()))
    assert ctl.session.note_text().startswith("Bought by vintage_vic") and "Sold out" in ctl.session.note_text()
    assert ctl.session.open_listing() is None  # sold out closes it
    # A listing of fewer than the stock closes when the platform says so; the stock goes on.
    store.update_item(pack.id or 0, quantity=5, status="showing")
    ctl.on_platform_event(p.ListingOpened(item_id=str(pack.id), price=4.0, quantity=1, seq=seq()))
    ctl.on_platform_event(p.Sale(item_id=str(pack.id), buyer="cardqueen", price=4.0, quantity_left=0, seq=seq()))
    ctl.on_platform_event(p.ListingSoldOut(item_id=str(pack.id), seq=seq()))
    assert ctl.session.open_listing() is None and "4 left" in ctl.session.note_text()
    # A giveaway drawn for the sticker sheet while the lamp is showing never shows under the lamp.
    ctl.run.show(ctl.run.item_ids.index(sticker.id))
    ctl.on_platform_event(p.GiveawayStarted(giveaway_id="g1", item_id=str(sticker.id), ends_at=time.time() + 60,
                                            seq=seq()))
    ctl.run.show(ctl.run.item_ids.index(lamp.id))
    ctl.on_platform_event(p.GiveawayWinner(giveaway_id="g1", item_id=str(sticker.id), user="retro_rita", seq=seq()))
    assert ctl.session.item is not None and ctl.session.item.id == lamp.id
    assert ctl.session.note_text() == ""
    card_now = ctl.product_card()
    assert card_now is not None and card_now.sold_to is None
    assert any(s.buyer == "retro_rita" and s.item_id == sticker.id for s in ctl.sales())  # still recorded


def test_an_earlier_shows_result_is_not_this_shows(store: InventoryStore) -> None:
    pyrex, *_ = add_tonights_items(store)
    ctl = ShowController(store, "tonight")
    ctl.run.build_from_inventory()
    ctl.begin_show(time.time() - 3600, platform_show_id="first")
    seq = Seq()
    ctl.next_item()
    sold(ctl, seq, pyrex.id or 0, "early_bird", 5.0)
    ctl.end_show_run()
    store.set_status(pyrex.id or 0, "available")  # relisted
    # A second show the same evening (a little later): the earlier sale is not this show's.
    ctl.on_platform_event(p.ShowStarted(show_id="second", started_at=time.time() + 3, seq=seq()))
    assert ctl.sales() == [] and len(ctl.all_sales()) == 1
    ctl.run.show(None)
    ctl.run.show(0)
    assert ctl.session.note_text() == ""


def test_run_of_show_and_panel_share_one_state_across_a_restart(store: InventoryStore) -> None:
    items = add_tonights_items(store)
    ctl = ShowController(store, "tonight")
    ctl.run.build_from_inventory()
    ctl.next_item()
    ctl.next_item()
    assert ctl.run.now_item_id == items[1].id
    # Restart: the panel's item is the one Run of show shows, and Next moves on from there.
    again = ShowController(store, "tonight")
    assert again.run.now_item_id == items[1].id
    assert again.session.item is not None and again.session.item.id == items[1].id
    card = again.product_card()
    assert card is not None and card.title == items[1].title
    assert again.next_item().id == items[2].id  # type: ignore[union-attr]
    again.run.show(len(again.run) - 1)
    with pytest.raises(SellingError, match="last item"):
        again.next_item()  # says why instead of doing nothing
    again.run.show(0)
    with pytest.raises(SellingError, match="first item"):
        again.previous_item()


def test_a_platform_auction_for_another_item_moves_run_of_show(store: InventoryStore) -> None:
    items = add_tonights_items(store)
    ctl = ShowController(store, "tonight")
    ctl.run.build_from_inventory()
    ctl.next_item()
    ctl.on_platform_event(p.AuctionStarted(auction_id="x1", item_id=str(items[2].id), ends_at=time.time() + 20,
                                           starting_bid=3.0, seq=1))
    assert ctl.run.now_item_id == items[2].id and ctl.session.item.id == items[2].id  # type: ignore[union-attr]
    assert ctl.session.is_auction_running
    # End Show says what it would cut short.
    assert "auction is still running" in (ctl.end_show_warning() or "")
    ctl.on_platform_event(p.AuctionEnded(auction_id="x1", item_id=str(items[2].id), seq=2))
    assert ctl.end_show_warning() is None
    ctl.on_platform_event(p.GiveawayStarted(giveaway_id="g", item_id=str(items[2].id), ends_at=time.time() + 30,
                                            seq=3))
    assert "giveaway is still open" in (ctl.end_show_warning() or "")


def test_nothing_to_sell_says_what_to_do(store: InventoryStore) -> None:
    ctl = ShowController(store, "tonight")
    hint = ctl.empty_hint()
    assert hint is not None and "import a CSV" in hint and "add an item" in hint
    with pytest.raises(SellingError, match="import a CSV"):
        ctl.next_item()
    store.add_item(Item("Lonely Lamp", type="auction", price_cents=300))
    assert "Queue all available" in (ctl.empty_hint() or "")
    added = ctl.add_item(Item("Brass Bell", type="buy_it_now", price_cents=800, quantity=3))
    assert ctl.run.item_ids == [added.id] and ctl.empty_hint() is None
    assert ctl.next_item().title == "Brass Bell"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="title"):
        ctl.add_item(Item("  ", type="auction", price_cents=100))
    store.set_status(added.id or 0, "sold_out")
    assert "sold" in (ctl.empty_hint() or "")


def test_show_run_survives_a_restart_and_makes_the_recap(store: InventoryStore) -> None:
    pyrex, card, *_ = add_tonights_items(store)
    ctl = ShowController(store, "tonight")
    ctl.run.build_from_inventory()
    start = time.time() - 600
    ctl.on_platform_event(p.ShowStarted(show_id="s1", started_at=start, seq=1))
    ctl.on_platform_event(p.Viewers(count=12, seq=2))
    ctl.on_platform_event(p.Viewers(count=31, seq=3))
    ctl.on_platform_event(p.Viewers(count=20, seq=4))
    seq = Seq()
    seq.n = 10
    ctl.next_item()
    sold(ctl, seq, pyrex.id or 0, "sue", 12.5)
    # Restart mid-show: the same show goes on (a replayed show.started does not start another).
    again = ShowController(store, "tonight")
    again.on_platform_event(p.ShowStarted(show_id="s1", started_at=start, seq=1))
    assert again.show_run is not None and again.show_run.started_at == start and again.show_run.peak_viewers == 31
    again.next_item()
    sold(again, seq, card.id or 0, "vic", 20.0)
    again.on_platform_event(p.ShowEnded(show_id="s1", ended_at=start + 900, seq=seq()))
    stats = {"dropped": {"render_lag": 2, "encode_lag": 1, "network": 4}}
    recap = again.recap(stats)
    assert (recap.duration_s, recap.sales_count, recap.total_cents, recap.peak_viewers, recap.dropped_frames) == (
        900.0, 2, 3250, 31, 7)
    assert dict(recap.lines()) == {"Duration": "0:15:00", "Sales": "2", "Total": "$32.50", "Peak viewers": "31",
                                   "Frames dropped": "7"}


def test_recap_without_a_platform_uses_the_live_time(store: InventoryStore) -> None:
    ctl = ShowController(store, "rehearsal")
    recap = ctl.recap(None, live_s=125.0)
    assert recap.duration_text == "0:02:05" and recap.sales_count == 0 and recap.peak_viewers is None
    assert recap.dropped_frames is None and dropped_frames({}) is None
    # The typed stats tick (media.stats.SessionStats carries DropCounts) reads the same as its dict.
    from types import SimpleNamespace

    from seller_studio.media.stats import DropCounts

    counts = DropCounts(render_lag=1, encode_lag=2, network=3)
    assert dropped_frames(SimpleNamespace(dropped=counts)) == 6 == dropped_frames({"dropped": counts.to_dict()})
    assert compute_recap([], duration_s=-1).duration_s == 0


def test_demo_sample_items_parse_and_only_fill_an_empty_inventory(tmp_path: Path) -> None:
    path = sample_inventory_path()
    parsed = parse_inventory_csv(path.read_bytes(), path.name, path)
    assert not parsed.errors and 3 <= len(parsed.rows) <= 8
    assert {item.type for _, item in parsed.rows} == {"auction", "buy_it_now", "giveaway"}
    store = InventoryStore(tmp_path / "demo.db")
    assert needs_samples(store)
    store.add_item(Item("Mine", type="auction", price_cents=100))
    assert not needs_samples(store)
    store.close()


def test_after_a_restart_the_platform_is_shown_the_same_item(tmp_path: Path) -> None:
    """Restart mid-show against the real sandbox: the studio's showing item is re-sent to the platform
    (item.show) as soon as the controller has the client, and Next goes on from there."""
    import asyncio

    from seller_studio.platform.client import PlatformClient
    from seller_studio.platform.sandbox.embedded import start_sandbox
    from tests.show.sandbox_show import sandbox_config, wait_until

    store = InventoryStore(tmp_path / "inventory.db")
    items = add_tonights_items(store)
    before = ShowController(store, "tonight")
    before.run.build_from_inventory()
    before.next_item()
    before.next_item()
    sandbox = start_sandbox(sandbox_config(chat_per_min=0, bid_per_min=0, entry_per_min=0), with_ingest=False)

    async def scenario() -> None:
        watcher = PlatformClient(sandbox.ws_url, sandbox.token)
        shown: list[str] = []
        watcher.subscribe(lambda e: shown.append(str(e.item.get("item_id"))), types=("item.shown",))
        await watcher.connect()
        client = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        after = ShowController(store, "tonight", client=client)
        try:
            await wait_until(lambda: shown == [str(items[1].id)], timeout_s=5)
            after.next_item()
            await wait_until(lambda: shown[-1:] == [str(items[2].id)], timeout_s=5)
        finally:
            await after.close()
            await client.close()
            await watcher.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        sandbox.stop()
        store.close()


@pytest.mark.parametrize("attach", ["before connecting", "after connecting (as the window does)"])
def test_a_restart_that_replays_the_shows_history_keeps_the_showing_item(tmp_path: Path, attach: str) -> None:
    """A new connection gets the show's whole history replayed (protocol: resume_from 0). Old auctions
    in it are history: Run of show and the panel stay on the item the seller had on, while a sale the
    studio missed is still recorded (once)."""
    import asyncio

    from seller_studio.platform.client import PlatformClient
    from seller_studio.platform.sandbox.embedded import start_sandbox
    from tests.show.sandbox_show import Buyer, Recorder, sandbox_config, wait_until

    store = InventoryStore(tmp_path / "inventory.db")
    pyrex, card, lamp, pack, _ = add_tonights_items(store)
    sandbox = start_sandbox(sandbox_config(chat_per_min=0, bid_per_min=0, entry_per_min=0), with_ingest=False)

    async def scenario() -> None:
        from seller_studio.show.selling import AuctionPreset

        client = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        ctl = ShowController(store, "tonight", client=client)
        rec = Recorder(ctl)
        buyer = await Buyer.connect(sandbox, "sue")
        await client.start_show("Tonight")
        ctl.run.build_from_inventory()
        ctl.next_item()
        await ctl.start_auction(AuctionPreset("3 s", duration_s=3, counter_bid_s=1))
        auction = await wait_until(lambda: ctl.session.auction)
        await buyer.bid(ctl.platform_id(auction.auction_id), 6)
        await wait_until(lambda: rec.first("auction_sold"), timeout_s=10)
        ctl.next_item()
        ctl.next_item()  # the lamp is on when the studio goes away
        assert ctl.run.now_item_id == lamp.id
        await ctl.close()
        await client.close()
        # While the studio is away the platform sells a pack (a listing left open).
        await buyer.client.command("listing.buy_now", {"item_id": str(pack.id), "price": 4.0, "quantity": 1})
        await buyer.buy(str(pack.id))
        # Restart: a fresh client, the whole history replayed.
        client2 = PlatformClient(sandbox.ws_url, sandbox.token)
        again = ShowController(store, "tonight")
        if attach.startswith("before"):
            again.attach_client(client2)
            await client2.connect()
        else:
            await client2.connect()
            again.attach_client(client2)
        try:
            await wait_until(lambda: any(s.item_id == pack.id for s in again.sales()), timeout_s=10)
            await asyncio.sleep(0.3)
            assert again.run.now_item_id == lamp.id
            assert again.session.item is not None and again.session.item.id == lamp.id
            assert again.session.note_text() == "" and not again.session.is_auction_running
            assert [s.buyer for s in again.sales() if s.item_id == pyrex.id] == ["sue"]  # not twice
            assert again.next_item().id == pack.id  # type: ignore[union-attr]
        finally:
            await again.close()
            await client2.close()
            await buyer.client.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        sandbox.stop()
        store.close()
