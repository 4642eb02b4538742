"""Every auction rule, on the pure engine with a hand-moved clock (no sleeping)."""

from __future__ import annotations

import pytest

from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.sandbox.auction import AuctionEngine, AuctionError, increment_cents
from tests.platform.conftest import FakeClock

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def engine(clock: FakeClock) -> AuctionEngine:
    return AuctionEngine(clock)


@pytest.mark.parametrize(("price", "increment"), [
    (1, 1), (29, 1), (29.99, 1), (30, 2), (49, 2), (50, 3), (99, 3), (100, 5), (299, 5), (300, 10),
    (999, 10), (1000, 20), (1999, 20), (2000, 50), (25_000, 50),
])
def test_increment_bands(price: float, increment: int) -> None:
    assert increment_cents(round(price * 100)) == increment * 100


def test_first_bid_must_reach_starting_bid_then_increments(engine: AuctionEngine) -> None:
    a = engine.start("card", 2800, duration_s=30)
    with pytest.raises(AuctionError) as err:
        engine.bid(a.auction_id, "u1", 2700)
    assert err.value.code == ErrorCode.BID_TOO_LOW
    engine.bid(a.auction_id, "u1", 2800)
    assert a.next_min_cents == 2900
    engine.bid(a.auction_id, "u2", 2900)
    engine.bid(a.auction_id, "u1", 3000)  # crosses into the $2 band
    with pytest.raises(AuctionError) as err:
        engine.bid(a.auction_id, "u2", 3100)
    assert err.value.code == ErrorCode.BID_TOO_LOW and "32.00" in err.value.message
    engine.bid(a.auction_id, "u2", 3200)
    assert (a.leader, a.price_cents) == ("u2", 3200)


@pytest.mark.parametrize(("price", "min_next"), [(100, 105), (300, 310), (1000, 1020), (2000, 2050)])
def test_min_next_bid_in_each_high_band(engine: AuctionEngine, price: int, min_next: int) -> None:
    a = engine.start("x", price * 100, duration_s=30)
    engine.bid(a.auction_id, "u1", price * 100)
    with pytest.raises(AuctionError):
        engine.bid(a.auction_id, "u2", min_next * 100 - 1)
    engine.bid(a.auction_id, "u2", min_next * 100)


def test_bid_under_10s_left_resets_clock_to_counter_bid(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=30, counter_bid_s=8)
    start_end = a.ends_at
    clock.advance(15)  # 15 s left: no reset
    [bid] = engine.bid(a.auction_id, "u1", 100)
    assert a.ends_at == start_end and bid.ends_at == start_end
    clock.advance(12)  # 3 s left: reset to 8 s from now
    [bid] = engine.bid(a.auction_id, "u2", 200)
    assert a.ends_at == pytest.approx(clock.now + 8, abs=1e-6) and bid.ends_at == a.ends_at
    clock.advance(7.5)  # 0.5 s left
    engine.bid(a.auction_id, "u1", 300)
    assert a.ends_at == pytest.approx(clock.now + 8, abs=1e-6)
    clock.advance(8)
    [ended] = engine.tick()
    assert (ended.leader, ended.price_cents, ended.is_sold) == ("u1", 300, True)


def test_counter_bid_never_shortens_the_clock(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=30, counter_bid_s=3)
    clock.advance(21)  # 9 s left, counter-bid time 3 s: keep 9
    engine.bid(a.auction_id, "u1", 100)
    assert a.ends_at == pytest.approx(clock.now + 9, abs=1e-6)


def test_sudden_death_ends_on_the_clock(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=20, counter_bid_s=10, sudden_death=True)
    clock.advance(19.5)
    engine.bid(a.auction_id, "u1", 500)
    assert a.ends_at == pytest.approx(clock.now + 0.5, abs=1e-6)  # no extension
    clock.advance(0.5)
    with pytest.raises(AuctionError) as err:
        engine.bid(a.auction_id, "u2", 600)
    assert err.value.code == ErrorCode.AUCTION_NOT_RUNNING
    [ended] = engine.tick()
    assert ended.leader == "u1" and ended.price_cents == 500


def test_running_auction_cannot_be_cancelled(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=10)
    with pytest.raises(AuctionError) as err:
        engine.cancel(a.auction_id)
    assert err.value.code == ErrorCode.CANNOT_CANCEL
    assert engine.running is a
    clock.advance(10)
    engine.tick()
    with pytest.raises(AuctionError) as err:
        engine.cancel(a.auction_id)
    assert err.value.code == ErrorCode.AUCTION_NOT_RUNNING


def test_no_bids_means_not_sold_and_can_run_again(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=5)
    clock.advance(5)
    [ended] = engine.tick()
    assert ended is a and not a.is_sold and a.leader is None
    again = engine.start("card", 100, duration_s=5)
    assert again.auction_id != a.auction_id


def test_one_running_auction_per_show(engine: AuctionEngine, clock: FakeClock) -> None:
    engine.start("a", 100, duration_s=10)
    with pytest.raises(AuctionError) as err:
        engine.start("b", 100, duration_s=10)
    assert err.value.code == ErrorCode.AUCTION_RUNNING
    clock.advance(10)
    engine.start("b", 100, duration_s=10)  # the first one's clock ran out: allowed
    assert [x.auction_id for x in engine.tick()] == ["a1"]


def test_proxy_max_bid_defends_by_increments(engine: AuctionEngine) -> None:
    a = engine.start("card", 1000, duration_s=30)
    engine.bid(a.auction_id, "proxy", 1000, max_cents=5000)
    assert (a.leader, a.price_cents) == ("proxy", 1000)
    bids = engine.bid(a.auction_id, "u2", 1500)
    # u2 is outbid at once by one increment, up to the max.
    assert [(b.user, b.amount_cents, b.is_proxy) for b in bids] == [("u2", 1500, False), ("proxy", 1600, True)]
    bids = engine.bid(a.auction_id, "u2", 5000)  # equal to the max: the earlier max wins the tie
    assert (a.leader, a.price_cents) == ("proxy", 5000)
    bids = engine.bid(a.auction_id, "u2", 5300)
    assert (a.leader, a.price_cents) == ("u2", 5300)
    assert bids[-1].user == "u2"


def test_challenger_with_higher_max_wins_one_increment_above(engine: AuctionEngine) -> None:
    a = engine.start("card", 1000, duration_s=30)
    engine.bid(a.auction_id, "p1", 1000, max_cents=2000)
    bids = engine.bid(a.auction_id, "p2", 1100, max_cents=4000)
    assert [(b.user, b.amount_cents) for b in bids] == [("p1", 2000), ("p2", 2100)]
    assert (a.leader, a.price_cents, a.leader_max_cents) == ("p2", 2100, 4000)


def test_leader_can_raise_their_max_without_outbidding_themselves(engine: AuctionEngine) -> None:
    a = engine.start("card", 1000, duration_s=30)
    engine.bid(a.auction_id, "p1", 1000)
    assert engine.bid(a.auction_id, "p1", 1100, max_cents=3000) == []
    assert (a.price_cents, a.leader_max_cents) == (1000, 3000)
