"""ShowController against the embedded sandbox (real websocket, seeded simulated viewers, no Qt)."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import pytest

from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.show.chat import ChatLog
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore
from seller_studio.show.selling import AuctionPreset, SellingError
from tests.show.sandbox_show import (
    SKEW_S,
    Buyer,
    Recorder,
    add_tonights_items,
    assert_platform_matches_studio,
    sandbox_config,
    server_remaining_s,
    set_sim,
    wait_until,
)

QUICK = AuctionPreset("test 3 s", duration_s=3, counter_bid_s=1.5)
SUDDEN = AuctionPreset("test sudden death", duration_s=3, is_sudden_death=True)


def test_chat_log_ring_flags_and_filters() -> None:
    log = ChatLog(capacity=100)
    for i in range(250):
        log.append(f"m{i}", f"u{i % 7}", "how much is shipping?" if i % 10 == 0 else "nice", float(i))
    assert len(log) == 100 and log.base == 150 and log.end == 250
    assert log.at(149) is None and log.at(150).msg_id == "m150"  # type: ignore[union-attr]
    assert log.get("m10") is None  # dropped from the ring and from the id index
    assert log.append("m249", "x", "dup", 0.0) is None  # a replayed message is not added twice
    assert log.at(160).is_question and not log.at(161).is_question  # type: ignore[union-attr]
    log.set_filter_words(["Nice"])
    assert log.at(161).is_filtered and not log.at(160).is_filtered  # type: ignore[union-attr]
    log.add_buyer("u3")
    assert all(e.is_buyer == (e.user == "u3") for e in log.entries())
    host = log.append("h1", "seller", "Any questions?", 0.0, ["host"])
    assert host is not None and not host.is_question  # the seller's own lines are not highlighted


def test_five_item_show_against_sandbox(tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_five_item_show(tmp_path), 90))


async def _five_item_show(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "inventory.db")
    add_tonights_items(store)
    sandbox = start_sandbox(sandbox_config(), with_ingest=False)
    client = PlatformClient(sandbox.ws_url, sandbox.token)
    await client.connect()
    ctl = ShowController(store, "tonight", client=client)
    rec = Recorder(ctl)
    buyer = await Buyer.connect(sandbox, "test_buyer")
    try:
        await client.start_show("Tonight")
        ctl.run.build_from_inventory()
        await wait_until(lambda: ctl.clock.rtt_s is not None and ctl.clock.rtt_s < 1.0)

        # 1) auction with a late bid: the clock extends to counter_bid_s from the bid.
        ctl.next_item()
        assert ctl.session.item is not None and ctl.session.item.sku == "PYREX-1"
        await ctl.start_auction(QUICK)
        auction = await wait_until(lambda: ctl.session.auction)
        agreement_ms = []
        for _ in range(10):
            server_left = server_remaining_s(sandbox)
            studio_left = ctl.countdown_s()
            if server_left is not None and studio_left is not None and studio_left > 0:
                agreement_ms.append(abs(server_left - studio_left) * 1000)
            await asyncio.sleep(0.05)
        with pytest.raises(SellingError, match="cannot be cancelled"):
            ctl.next_item()  # the seller sees why Next does nothing while it runs
        await asyncio.sleep(max(0.0, auction.countdown.remaining_s() - 1.0))
        await buyer.bid(ctl.platform_id(auction.auction_id), auction.next_min_bid_cents / 100 + 50)
        await wait_until(lambda: rec.first("auction_sold", auction_id=auction.auction_id))
        assert any(b["is_extended"] for b in rec.named("bid") if b["auction_id"] == auction.auction_id)
        card = ctl.product_card()
        assert card is not None and card.price_caption == "Sold" and card.sold_to

        # 2) sudden death: a bid one second before the end does not extend; it ends on the clock.
        ctl.next_item()
        assert ctl.session.item is not None and ctl.session.item.sku == "CARD-1"
        await ctl.start_auction(SUDDEN)
        sd = await wait_until(lambda: ctl.session.auction if ctl.session.auction is not None
                              and ctl.session.auction.auction_id != auction.auction_id else None)
        first_ends_at = sd.countdown.ends_at
        await asyncio.sleep(max(0.0, sd.countdown.remaining_s() - 1.0))
        await buyer.bid(ctl.platform_id(sd.auction_id), sd.next_min_bid_cents / 100 + 80)
        sold_at, sold = await wait_until(lambda: rec.first("auction_sold", auction_id=sd.auction_id))
        assert sd.countdown.ends_at == first_ends_at
        assert not any(b["is_extended"] for b in rec.named("bid") if b["auction_id"] == sd.auction_id)
        assert sold["winner"] == "test_buyer"
        lateness_s = ctl.clock.server_now(sold_at) - first_ends_at
        assert -0.05 < lateness_s < 0.5, lateness_s

        # 3) no bids: unsold, the card says so; run it back sells it.
        set_sim(sandbox, bid_per_min=0)
        ctl.next_item()
        lamp_id = ctl.session.item.id if ctl.session.item else None
        await ctl.start_auction(QUICK)
        nb = await wait_until(lambda: ctl.session.auction if ctl.session.auction is not None
                              and ctl.session.auction.auction_id != sd.auction_id else None)
        await wait_until(lambda: rec.first("auction_unsold", auction_id=nb.auction_id))
        assert lamp_id is not None and store.get_item(lamp_id).status == "unsold"  # type: ignore[union-attr]
        card = ctl.product_card()
        assert card is not None and card.price_caption == "No bids"
        set_sim(sandbox, bid_per_min=40)
        await ctl.run_it_back()
        again = await wait_until(lambda: ctl.session.auction if ctl.session.auction is not None
                                 and ctl.session.auction.auction_id != nb.auction_id else None)
        await asyncio.sleep(0.5)
        await buyer.bid(ctl.platform_id(again.auction_id), again.next_min_bid_cents / 100 + 100)
        await wait_until(lambda: rec.first("auction_sold", auction_id=again.auction_id))

        # 4) buy it now, two in stock: sold out after two purchases.
        ctl.next_item()
        assert ctl.session.item is not None and ctl.session.item.sku == "PACK-1"
        pack_id = str(ctl.session.item.id)
        await ctl.open_buy_now()
        await wait_until(lambda: rec.named("listing_opened"))
        await buyer.buy(pack_id)
        await buyer.buy(pack_id)
        await wait_until(lambda: rec.named("sold_out"))
        assert ctl.session.is_sold_out

        # 5) giveaway: entry window, the winner comes from the platform.
        ctl.next_item()
        assert ctl.session.item is not None and ctl.session.item.sku == "GIVE-1"
        await ctl.start_giveaway(1.5)
        g = await wait_until(lambda: ctl.session.giveaway)
        await buyer.enter(ctl.platform_id(g.giveaway_id))
        _, won = await wait_until(lambda: rec.first("giveaway_won"))
        assert won["winner"]

        # The platform's results and the studio's sales record agree on every auction.
        compared = assert_platform_matches_studio(sandbox, ctl)
        sales = ctl.sales()
        assert sum(1 for s in sales if s.type == "buy_it_now") == 2
        assert store.get_item(int(pack_id)).quantity == 0  # type: ignore[union-attr]
        assert any(s.type == "giveaway" and s.buyer == won["winner"] for s in sales)

        # Chat came in from the simulated viewers; buyers are highlighted.
        assert len(ctl.chat) > 20
        reply_to = next(e for e in ctl.chat.entries() if not e.is_host)
        await ctl.reply(reply_to.msg_id, "thanks!")
        await wait_until(lambda: any(e.is_host and e.text.startswith(f"@{reply_to.user} ")
                                     for e in ctl.chat.entries()))
        await ctl.delete(reply_to.msg_id)
        await wait_until(lambda: ctl.chat.get(reply_to.msg_id).is_deleted)  # type: ignore[union-attr]
        winners = {w for w, _ in compared["studio"].values()}
        assert winners <= ctl.chat.buyers
        print(f"\ncountdown agreement studio vs platform (clock skew {SKEW_S} s): "
              f"median {statistics.median(agreement_ms):.1f} ms, max {max(agreement_ms):.1f} ms; "
              f"auctions {compared['server']}")
        assert max(agreement_ms) < 100
    finally:
        await buyer.client.close()
        await ctl.close()
        await client.close()
        sandbox.stop()
        store.close()


def test_next_needs_no_platform_and_errors_are_events(tmp_path: Path) -> None:
    """Offline rehearsal: the queue works; selling says why it cannot."""
    store = InventoryStore(tmp_path / "inventory.db")
    add_tonights_items(store)
    ctl = ShowController(store, "rehearsal")
    ctl.run.build_from_inventory()
    assert ctl.next_item() is not None
    with pytest.raises(SellingError, match="not connected"):
        ctl.start_auction(0)
    ctl.set_filter_words(["spam"])
    again = ShowController(store, "rehearsal")
    again.restore_filter_words()
    assert again.chat.filter_words == ("spam",)
    assert again.run.now_item_id == ctl.run.now_item_id  # the queue position survives a restart
    store.close()
