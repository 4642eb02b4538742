"""The one rules module: money, increments and limits, and that everybody uses the same ones."""

from __future__ import annotations

import math
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from seller_studio.platform import protocol as p
from seller_studio.platform import rules
from seller_studio.platform.protocol import ProtocolError
from seller_studio.show import csv_import, selling

pytestmark = pytest.mark.timeout(30)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("dollars", "cents"), [
    (12.5, 1250), ("12.50", 1250), (12, 1200), (0.1 + 0.2, 30), (12.345, 1235), (0.005, 1), (2.675, 268),
    (1_000_000, 100_000_000), (Decimal("19.995"), 2000), (-1.005, -101),
])
def test_to_cents_rounds_half_up_from_the_shortest_decimal(dollars: object, cents: int) -> None:
    # round(float * 100) gives 1234 for 12.345 and 267 for 2.675: the old sandbox rule.
    assert rules.to_cents(dollars) == cents  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf, "abc", True])
def test_to_cents_refuses_what_is_not_money(bad: object) -> None:
    with pytest.raises(ValueError):
        rules.to_cents(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "ok"), [
    (1, True), (0.01, True), (1_000_000, True), (999_999.99, True),
    (1_000_000.01, False), (10 ** 400, False), (-(10 ** 400), False), (0, False), (-5, False),
    (1.234, False), (1e308, False), (math.nan, False), ("5", False), (True, False), (None, False),
])
def test_money_error_never_raises(value: object, ok: bool) -> None:
    assert (rules.money_error(value) is None) is ok


def test_money_above_the_maximum_names_the_maximum() -> None:
    assert rules.money_error(1_000_000.01) == "must be at most $1,000,000.00"
    assert rules.money_error(10 ** 400) == "must be at most $1,000,000.00"
    assert rules.money_error(1.234) == "must have at most 2 decimals"


def test_increments_match_the_reference_table() -> None:
    # $1 from $1, $2 from $30, $3 from $50, $5 from $100, $10 from $300, $20 from $1,000, $50 from $2,000 up.
    for price, step in [(1, 1), (29.99, 1), (30, 2), (50, 3), (100, 5), (300, 10), (1000, 20), (2000, 50),
                        (999_999, 50)]:
        assert rules.increment_cents(rules.to_cents(price)) == step * 100
    assert rules.next_min_bid_cents(None, 500) == 500
    assert rules.next_min_bid_cents(2999, 500) == 3099


def test_the_studio_and_the_platform_share_the_same_rules() -> None:
    from seller_studio.platform.sandbox import auction
    assert selling.to_cents is rules.to_cents is auction.to_cents
    assert selling.min_increment_cents is rules.increment_cents is auction.increment_cents
    assert selling.next_min_bid_cents is rules.next_min_bid_cents
    assert csv_import.MAX_PRICE_CENTS == rules.MONEY_MAX_CENTS


def test_one_duration_range_for_presets_and_the_platform() -> None:
    selling.AuctionPreset("one second", duration_s=rules.AUCTION_DURATION_MIN_S)  # the platform accepts 1 s
    p.AuctionStart.from_data({"item_id": "1", "starting_bid": 1, "duration_s": rules.AUCTION_DURATION_MIN_S})
    for too_long in (rules.AUCTION_DURATION_MAX_S + 1,):
        with pytest.raises(ValueError):
            selling.AuctionPreset("long", duration_s=too_long)
        with pytest.raises(ProtocolError):
            p.AuctionStart.from_data({"item_id": "1", "starting_bid": 1, "duration_s": too_long})


def test_giveaway_window_is_the_same_everywhere() -> None:
    p.GiveawayStart.from_data({"item_id": "1", "duration_s": rules.GIVEAWAY_MAX_S})
    with pytest.raises(ProtocolError):
        p.GiveawayStart.from_data({"item_id": "1", "duration_s": rules.GIVEAWAY_MAX_S + 1})


def test_each_rule_is_defined_once() -> None:
    """The grep from the issue: every rule has exactly one definition in the package."""
    out = subprocess.run(
        ["grep", "-rnE", r"^(def (to_cents|increment_cents|min_increment_cents|next_min_bid_cents)\(|"
                         r"(MONEY_MAX_CENTS|INCREMENT_BANDS_CENTS|_INCREMENTS|GIVEAWAY_MAX_S|GIVEAWAY_MAX_WINDOW_S|"
                         r"AUCTION_DURATION_MIN_S|AUCTION_DURATION_MAX_S|COUNTER_BID_WINDOW_S|"
                         r"COUNTER_BID_THRESHOLD_S|MAX_CHAT_CHARS|MIN_STARTING_BID_CENTS)\b.*= )",
         "--include=*.py", "seller_studio"],
        cwd=ROOT, capture_output=True, text=True, check=False).stdout
    definitions = [line for line in out.splitlines() if not re.search(r"= rules\.|= MONEY_MAX_CENTS", line)]
    assert all(line.startswith("seller_studio/platform/rules.py:") for line in definitions), definitions
    names = [re.search(r"(def )?(\w+)", line.split(":", 2)[2]).group(2) for line in definitions]  # type: ignore[union-attr]
    assert len(names) == len(set(names)), definitions
