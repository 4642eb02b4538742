from __future__ import annotations

import calendar
import math
import random
from pathlib import Path
from typing import Any

import pytest

from seller_studio.show.csv_import import import_csv
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.show.selling import (
    AuctionCountdown,
    AuctionPreset,
    ClockSync,
    QuickReplies,
    SellingError,
    SellingSession,
    item_show_payload,
    min_increment_cents,
    next_min_bid_cents,
    to_cents,
    to_epoch_s,
)

TRUE_OFFSET_S = 1_790_000_000.0 + 12.345  # server epoch - local monotonic


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def ping(sync: ClockSync, clock: FakeClock, up_s: float, down_s: float) -> None:
    sent = clock.t
    server_time = sent + up_s + TRUE_OFFSET_S
    clock.t += up_s + down_s
    sync.add_ping_sample(sent, server_time, clock.t)


def test_clock_offset_from_asymmetric_pings_is_within_budget() -> None:
    clock = FakeClock()
    sync = ClockSync(local_clock=clock)
    rng = random.Random(7)
    # A welcome with no round-trip estimate: off by the whole one-way delay.
    clock.t += 0.180
    sync.set_from_welcome(server_time=clock.t - 0.180 + TRUE_OFFSET_S)
    assert abs(sync.offset_s - TRUE_OFFSET_S) == pytest.approx(0.180)  # type: ignore[operator]
    # Jittery, asymmetric pings (uplink 20-300 ms, downlink 10-60 ms): the best one wins.
    for _ in range(8):
        ping(sync, clock, up_s=rng.uniform(0.02, 0.3), down_s=rng.uniform(0.01, 0.06))
        clock.t += 5
    assert abs(sync.offset_s - TRUE_OFFSET_S) < 0.1  # type: ignore[operator]

    # The studio's countdown agrees with the platform's to well within 100 ms all the way down.
    ends_at = clock.t + TRUE_OFFSET_S + 27.3
    countdown = AuctionCountdown(sync, ends_at)
    for step in range(300):
        now = clock.t + step * 0.1
        platform_remaining = max(0.0, ends_at - (now + TRUE_OFFSET_S))
        assert abs(countdown.remaining_s(now) - platform_remaining) < 0.1
    assert countdown.display_s(clock.t) == 28 and countdown.label(clock.t) == "0:28"
    assert countdown.is_over(clock.t + 28)


def test_welcome_with_hello_time_and_ping_rejects_bad_samples() -> None:
    clock = FakeClock()
    sync = ClockSync(local_clock=clock)
    sent = clock.t
    clock.t += 0.05
    sync.set_from_welcome(server_time=sent + 0.025 + TRUE_OFFSET_S, sent_at=sent)
    assert sync.offset_s == pytest.approx(TRUE_OFFSET_S, abs=1e-5)
    assert sync.server_now() == pytest.approx(clock.t + TRUE_OFFSET_S, abs=1e-5)
    with pytest.raises(ValueError):
        sync.add_ping_sample(10.0, 5.0, 9.0)


def test_to_epoch_s_accepts_what_servers_send() -> None:
    assert to_epoch_s(1_790_000_000) == 1_790_000_000
    assert to_epoch_s(1_790_000_000_500) == pytest.approx(1_790_000_000.5, abs=1e-6)
    assert to_epoch_s("2026-11-23T18:00:00Z") == calendar.timegm((2026, 11, 23, 18, 0, 0))
    assert to_epoch_s("2026-11-23T18:00:00+00:00") == to_epoch_s("2026-11-23T18:00:00Z")


def test_min_increments_follow_the_platform_table() -> None:
    assert [min_increment_cents(c) for c in (100, 2999, 3000, 5000, 10000, 30000, 100000, 200000, 900000)] == [
        100, 100, 200, 300, 500, 1000, 2000, 5000, 5000]
    assert next_min_bid_cents(None, 500) == 500
    assert next_min_bid_cents(2900, 500) == 3000


@pytest.fixture
def session(store: InventoryStore, sample_csv: Path) -> tuple[SellingSession, FakeClock, list[tuple[str, dict[str, Any]]]]:
    import_csv(store, sample_csv)
    clock = FakeClock()
    sync = ClockSync(local_clock=clock)
    sync.set_from_welcome(server_time=clock.t + TRUE_OFFSET_S, sent_at=clock.t)
    s = SellingSession(store, "show-1", sync)
    events: list[tuple[str, dict[str, Any]]] = []
    s.events.subscribe(lambda name, payload: events.append((name, payload)))
    return s, clock, events


def test_auction_won_records_the_sale_once(session: Any, store: InventoryStore) -> None:
    s, clock, events = session
    charizard = store.get_item_by_sku("PKM-0001")
    s.set_item(charizard.id)
    request = s.auction_request(AuctionPreset("Quick", duration_s=15, is_sudden_death=True))
    assert request == {"item_id": str(charizard.id), "starting_bid": 1.0, "duration_s": 15,
                       "counter_bid_s": 10.0, "sudden_death": True}  # protocol auction.start as is
    ends_at = clock.t + TRUE_OFFSET_S + 15
    s.on_auction_started("a-1", item_id=str(charizard.id), ends_at=ends_at, starting_bid_cents=100, is_sudden_death=True)
    card = s.product_card(clock.t)
    assert (card.price_caption, card.price_text, card.countdown_text) == ("Starting bid", "$1.00", "0:15")
    clock.t += 6
    s.on_bid("a-1", amount_cents=300, bidder="ash")
    s.on_bid("a-1", amount_cents=200, bidder="late")  # arrives after a higher one: ignored
    s.on_bid("a-1", amount_cents=500, bidder="misty", ends_at=ends_at + 5)  # counter-bid extension
    assert s.auction.next_min_bid_cents == 600
    card = s.product_card(clock.t)
    assert (card.price_caption, card.price_text, card.bidder, card.countdown_text) == (
        "Current bid", "$5.00", "misty", "0:14")
    with pytest.raises(SellingError, match="cannot be cancelled"):
        s.set_item(None)
    with pytest.raises(SellingError, match="already running"):
        s.auction_request(AuctionPreset("Again"))

    sale = s.on_auction_ended("a-1", winner="misty", price_cents=to_cents(5.0), item_id=str(charizard.id))
    assert sale is not None and sale.is_new and sale.buyer == "misty" and sale.auction_id == "a-1"
    assert s.item.status == "sold" and s.item.quantity == 0
    card = s.product_card(clock.t)
    assert (card.price_caption, card.sold_to, card.price_text) == ("Sold", "misty", "$5.00")
    # The platform replays the result after a reconnect: still one sale.
    s.on_auction_ended("a-1", winner="misty", price_cents=500)
    assert len(store.list_sales("show-1")) == 1
    names = [n for n, _ in events]
    assert names[:4] == ["item_changed", "auction_started", "bid", "bid"]
    assert names.count("auction_sold") == 2
    bid_events = [p for n, p in events if n == "bid"]
    assert [b["is_extended"] for b in bid_events] == [False, True]
    with pytest.raises(SellingError, match="sold out"):
        s.auction_request(AuctionPreset("Again"))


def test_no_bids_means_unsold_and_run_it_back(session: Any, store: InventoryStore) -> None:
    s, clock, events = session
    heman = store.get_item_by_sku("TOY-0007")
    s.set_item(heman.id)
    s.on_auction_started("a-2", item_id=heman.id, ends_at=clock.t + TRUE_OFFSET_S + 30, starting_bid_cents=1500)
    assert s.on_auction_ended("a-2", winner=None, price_cents=None) is None
    assert s.item.status == "unsold" and s.can_run_it_back
    assert s.product_card().price_caption == "No bids"
    s.run_it_back()
    assert s.item.status == "showing" and s.auction is None
    s.auction_request(AuctionPreset("Again"))  # allowed again
    s.on_auction_started("a-3", item_id=heman.id, ends_at=clock.t + TRUE_OFFSET_S + 30, starting_bid_cents=1500)
    s.on_bid("a-3", amount_cents=1500, bidder="brock")
    s.on_auction_ended("a-3", winner="brock", price_cents=1500)
    assert [e for e, _ in events if e.startswith(("auction", "run"))] == [
        "auction_started", "auction_unsold", "run_it_back", "auction_started", "auction_sold"]
    with pytest.raises(SellingError):
        s.run_it_back()


def test_multi_quantity_auction_lot_stays_available(session: Any, store: InventoryStore) -> None:
    s, clock, _ = session
    box = store.get_item_by_sku("SPT-0101")  # 6 boxes
    s.set_item(box.id)
    s.on_auction_started("a-4", item_id=box.id, ends_at=clock.t + TRUE_OFFSET_S + 30, starting_bid_cents=2500)
    s.on_auction_ended("a-4", winner="gary", price_cents=4000)
    assert s.item.quantity == 5 and s.item.status != "sold"
    s.set_item(box.id)  # the next auction of the same lot
    assert s.auction_request(AuctionPreset("Std"))["starting_bid"] == 25.0
    with pytest.raises(SellingError, match="at least"):
        s.auction_request(AuctionPreset("Cheap", starting_bid_cents=50))


def test_buy_it_now_quantity_and_sold_out(session: Any, store: InventoryStore) -> None:
    s, _, events = session
    packs = store.get_item_by_sku("PKM-0002")  # 24 at $9.99
    s.set_item(packs.id)
    with pytest.raises(SellingError, match="not auction"):
        s.auction_request(AuctionPreset("x"))
    assert s.buy_now_request() == {"item_id": str(packs.id), "price": 9.99, "quantity": 24}
    with pytest.raises(SellingError, match="only 24"):
        s.buy_now_request(25)
    payload = item_show_payload(s.item)
    assert payload["item_id"] == str(packs.id) and payload["price"] == 9.99 and payload["type"] == "buy_it_now"
    sale = s.on_purchase(buyer="ash", quantity=20, order_id="o-1")
    assert sale.price_cents == 19980 and s.quantity_left == 4 and not s.is_sold_out
    assert s.product_card().quantity_left == 4
    s.on_purchase(buyer="misty", quantity=4, order_id="o-2")
    s.on_purchase(buyer="misty", quantity=4, order_id="o-2")  # replay: no second sale
    assert s.is_sold_out and s.item.status == "sold_out"
    assert s.product_card().price_caption == "Sold out"
    assert [n for n, _ in events].count("sold_out") == 1
    assert [(x.buyer, x.quantity) for x in store.list_sales("show-1")] == [("ash", 20), ("misty", 4)]


def test_giveaway_window_entries_and_winner(session: Any, store: InventoryStore) -> None:
    s, clock, events = session
    promo = store.get_item_by_sku("PKM-0003")
    s.set_item(promo.id)
    with pytest.raises(SellingError, match="5 minutes"):
        s.giveaway_request(301)
    assert s.giveaway_request(120) == {"item_id": str(promo.id), "duration_s": 120}
    s.on_giveaway_started("g-1", item_id=promo.id, ends_at=clock.t + TRUE_OFFSET_S + 120)
    for user in ["ash", "misty", "ash", "brock"]:
        s.on_giveaway_entry("g-1", user)
    assert s.giveaway.entrants == ["ash", "misty", "brock"]
    assert s.product_card(clock.t).countdown_text == "2:00"
    assert s.giveaway.draw(random.Random(1)) in {"ash", "misty", "brock"}
    sale = s.on_giveaway_ended("g-1", winner="brock")
    assert sale is not None and sale.price_cents == 0 and sale.type == "giveaway"
    assert s.product_card().sold_to == "brock" and s.item.status == "sold"
    assert [p["entrants"] for n, p in events if n == "giveaway_entry"] == [1, 2, 3]


def test_quick_replies_are_editable_and_persist(store: InventoryStore) -> None:
    replies = QuickReplies(store)
    assert [r.label for r in replies.replies()] == ["Shipping", "Payment", "Next item up"]
    changes: list[Any] = []
    replies.events.subscribe(lambda name, payload: changes.append(name))
    replies.update(0, text="Ships Mondays, combined.")
    replies.add("Thanks", "Thank you {user}!")
    replies.move(3, 0)
    item = Item("Charizard ex", price_cents=100)
    assert QuickReplies(store).render(3, item=item) == "Next item up: Charizard ex!"
    assert QuickReplies(store).render(0, user="ash") == "Thank you @ash!"
    assert QuickReplies(store).replies()[1].text == "Ships Mondays, combined."
    for _ in range(len(replies)):
        replies.remove(0)
    assert len(QuickReplies(store)) == 0  # an emptied list stays empty: no defaults coming back
    replies.reset_defaults()
    assert len(QuickReplies(store)) == 3
    assert changes.count("changed") == 3 + 4 + 1
    with pytest.raises(ValueError):
        replies.add("Blank", "   ")


def test_countdown_rounding_is_ceil() -> None:
    clock = FakeClock()
    sync = ClockSync(local_clock=clock)
    sync.set_from_welcome(server_time=clock.t + 100.0, sent_at=clock.t)
    countdown = AuctionCountdown(sync, clock.t + 100.0 + 9.95)
    assert countdown.display_s() == 10
    clock.t += 9.0
    assert countdown.display_s() == 1 and math.isclose(countdown.remaining_s(), 0.95)
    clock.t += 1.0
    assert countdown.display_s() == 0 and countdown.is_over()


def test_naive_server_times_are_utc() -> None:
    assert to_epoch_s("2026-11-23T18:00:00") == calendar.timegm((2026, 11, 23, 18, 0, 0))


def test_to_cents_has_no_float_drift() -> None:
    assert [to_cents(x) for x in (0.29, 1.15, 19.99, 12.5, 1000, "4.35")] == [29, 115, 1999, 1250, 100000, 435]


def test_a_lost_result_does_not_lock_the_seller_in(session: Any, store: InventoryStore) -> None:
    s, clock, _ = session
    heman = store.get_item_by_sku("TOY-0007")
    s.set_item(heman.id)
    s.on_auction_started("a-9", item_id=heman.id, ends_at=clock.t + TRUE_OFFSET_S + 20, starting_bid_cents=1500)
    clock.t += 30  # ended 10 s ago, no result yet: still waiting
    with pytest.raises(SellingError):
        s.set_item(None)
    clock.t += 10  # 20 s past the end: the seller may move on
    s.set_item(store.get_item_by_sku("PKM-0001").id)
    # The result arrives late (auction.ended carries the item id): recorded all the same.
    sale = s.on_auction_ended("a-9", winner="brock", price_cents=1600, item_id=str(heman.id))
    assert sale is not None and store.get_item(heman.id).status == "sold"
