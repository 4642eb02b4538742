"""platform/rules.py and the auction engine at their edges: messages a seller reads, exact
boundaries, proxy flags (written against the mutants scripts/mutation.sh found alive)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seller_studio.platform import rules
from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.sandbox.auction import AuctionEngine, AuctionError
from tests.platform.conftest import FakeClock

EXACT = 1e-6


def test_to_cents_refuses_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="^a money amount must be a number, not true/false$"):
        rules.to_cents(True)
    with pytest.raises(ValueError, match="^not a money amount: 'twelve'$"):
        rules.to_cents("twelve")
    with pytest.raises(ValueError, match=r"^not a money amount: '" + "9" * 40 + "'$"):
        rules.to_cents("9" * 40 + "x")
    for bad in ("NaN", float("inf"), Decimal("-Infinity")):
        with pytest.raises(ValueError, match="^a money amount must be a finite number$"):
            rules.to_cents(bad)


def test_to_cents_takes_decimals_as_they_are_and_rounds_half_up() -> None:
    assert rules.to_cents(Decimal("12.345")) == 1235
    assert rules.to_cents(Decimal("0.005")) == 1
    assert rules.to_cents(12.5) == 1250 and rules.to_cents("7") == 700


def test_money_error_says_why() -> None:
    assert rules.money_error("12") == "must be a number"
    assert rules.money_error(True) == "must be a number"
    assert rules.money_error(float("nan")) == "must be a finite number"
    assert rules.money_error(1_000_000.01) == "must be at most $1,000,000.00"
    assert rules.money_error(1_000_000) is None
    assert rules.money_error(0.99, minimum_cents=100) == "must be at least $1.00"
    assert rules.money_error(1.0, minimum_cents=100) is None
    assert rules.money_error(Decimal("0.995"), minimum_cents=100) == "must be at least $1.00"
    assert rules.money_error(1.005) == "must have at most 2 decimals"
    assert rules.money_error(10 ** 400) == "must be at most $1,000,000.00"


def test_format_dollars_signs_only_negative_amounts() -> None:
    assert rules.format_dollars(0) == "$0.00"
    assert rules.format_dollars(1) == "$0.01"
    assert rules.format_dollars(-150) == "-$1.50"
    assert rules.format_dollars(123456) == "$1,234.56"


def test_increment_below_every_band_is_the_smallest_step() -> None:
    assert rules.increment_cents(-1) == 100


@pytest.fixture
def engine(clock: FakeClock) -> AuctionEngine:
    return AuctionEngine(clock)


def test_exactly_10_seconds_left_is_not_yet_counter_bid_time(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=30, counter_bid_s=15)
    clock.advance(20)  # exactly 10 s left
    engine.bid(a.auction_id, "u1", 100)
    assert a.ends_at == pytest.approx(clock.now + 10, abs=EXACT)


def test_auction_errors_carry_their_code_and_a_sentence(engine: AuctionEngine, clock: FakeClock) -> None:
    with pytest.raises(AuctionError) as err:
        engine.start("card", 99, duration_s=30)
    assert (err.value.code, err.value.message, str(err.value)) == (
        ErrorCode.BAD_MESSAGE, "the starting bid must be at least 1.00", "the starting bid must be at least 1.00")
    a = engine.start("card", 100, duration_s=30)
    with pytest.raises(AuctionError) as err:
        engine.start("other", 100, duration_s=30)
    assert err.value.message == f"auction {a.auction_id} is still running; wait for it to end"
    with pytest.raises(AuctionError) as err:
        engine.cancel(a.auction_id)
    assert err.value.message == "a running auction cannot be cancelled; let it end"
    with pytest.raises(AuctionError) as err:
        engine.bid("a404", "u1", 100)
    assert (err.value.code, err.value.message) == (ErrorCode.NOT_FOUND, "no auction 'a404'")
    clock.advance(30)
    with pytest.raises(AuctionError) as err:
        engine.bid(a.auction_id, "u1", 100)
    assert (err.value.code, err.value.message) == (ErrorCode.AUCTION_NOT_RUNNING, f"auction {a.auction_id} has ended")
    with pytest.raises(AuctionError) as err:
        engine.cancel(a.auction_id)
    assert err.value.message == f"auction {a.auction_id} has already ended"
    assert a.is_running is False


def test_a_started_auction_records_what_it_was_started_with(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card-7", 250, duration_s=20)
    assert (a.item_id, a.starting_bid_cents) == ("card-7", 250)
    assert a.started_at == pytest.approx(clock.now, abs=EXACT)


def test_the_leader_may_raise_but_not_repeat_their_max(engine: AuctionEngine) -> None:
    a = engine.start("card", 100, duration_s=30)
    engine.bid(a.auction_id, "u1", 100, max_cents=500)
    with pytest.raises(AuctionError) as err:
        engine.bid(a.auction_id, "u1", 100, max_cents=500)
    assert (err.value.code, err.value.message) == (ErrorCode.BID_TOO_LOW, "you already lead with a max of 5.00")
    assert engine.bid(a.auction_id, "u1", 100, max_cents=501) == []
    assert a.leader_max_cents == 501


def test_proxy_bids_are_flagged_and_every_bid_carries_the_next_minimum(engine: AuctionEngine) -> None:
    a = engine.start("card", 100, duration_s=30)
    [first] = engine.bid(a.auction_id, "u1", 100, max_cents=1000)
    assert (first.user, first.amount_cents, first.is_proxy, first.next_min_cents) == ("u1", 100, False, 200)
    # u2 bids 200 with no max: u1's proxy defends one step higher.
    challenger, defence = engine.bid(a.auction_id, "u2", 200)
    assert (challenger.user, challenger.is_proxy) == ("u2", False)
    assert (defence.user, defence.amount_cents, defence.is_proxy) == ("u1", 300, True)
    assert challenger.next_min_cents == defence.next_min_cents == 400
    # u3 goes past u1's max: u1's proxy goes to its max first (flagged), then u3 leads one step above.
    proxy, winner = engine.bid(a.auction_id, "u3", 400, max_cents=2000)
    assert (proxy.user, proxy.amount_cents, proxy.is_proxy) == ("u1", 1000, True)
    assert (winner.user, winner.amount_cents, winner.is_proxy) == ("u3", 1100, False)
    assert proxy.next_min_cents == winner.next_min_cents == 1200
