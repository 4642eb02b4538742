"""Auction clock rules at their exact edges, and the idempotency cache for error answers.

Epoch times near 1.8e9 need absolute tolerances: ``pytest.approx`` alone allows about 1800 s there.
"""

from __future__ import annotations

import pytest

from seller_studio.platform.sandbox.auction import AuctionEngine
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox
from tests.platform.conftest import FakeClock
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(20)
EXACT = 1e-6  # seconds


@pytest.fixture
def engine(clock: FakeClock) -> AuctionEngine:
    return AuctionEngine(clock)


@pytest.mark.parametrize(("left_s", "is_reset"), [(9.9, True), (9.0, True), (6.5, True), (10.1, False), (15.0, False)])
def test_counter_bid_window_is_the_last_10_seconds(engine: AuctionEngine, clock: FakeClock, left_s: float,
                                                   is_reset: bool) -> None:
    a = engine.start("card", 100, duration_s=60, counter_bid_s=12)
    clock.advance(60 - left_s)
    engine.bid(a.auction_id, "u1", 100)
    expected = clock.now + 12 if is_reset else clock.now + left_s
    assert a.ends_at == pytest.approx(expected, abs=EXACT)


def test_counter_bid_extension_never_shortens_the_clock_exactly(engine: AuctionEngine, clock: FakeClock) -> None:
    a = engine.start("card", 100, duration_s=30, counter_bid_s=3)
    clock.advance(21)  # 9 s left, counter-bid time 3 s
    [bid] = engine.bid(a.auction_id, "u1", 100)
    assert a.ends_at == pytest.approx(clock.now + 9, abs=EXACT)
    assert bid.ends_at == pytest.approx(clock.now + 9, abs=EXACT)
    clock.advance(7)  # 2 s left, counter-bid 3 s: now it extends to 3 s
    engine.bid(a.auction_id, "u2", 200)
    assert a.ends_at == pytest.approx(clock.now + 3, abs=EXACT)


def test_an_error_answer_is_cached_for_a_resend_too(quiet_sandbox: EmbeddedSandbox) -> None:
    """A resent command gets the answer the first send got, even if it would now succeed."""
    raw = Raw(quiet_sandbox.ws_url)
    try:
        raw.command("show.start")
        first = raw.command("listing.purchase", {"item_id": "mug", "buyer": "amy"}, mid="buy-1")
        assert first["type"] == "error"
        assert raw.command("listing.buy_now", {"item_id": "mug", "price": 12.5, "quantity": 2})["type"] == "ack"
        again = raw.command("listing.purchase", {"item_id": "mug", "buyer": "amy"}, mid="buy-1")
        assert again == first
        assert "sale" not in [m["type"] for m in raw.events()]  # the resend had no effect
    finally:
        raw.close()
