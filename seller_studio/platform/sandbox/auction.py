"""The auction rules, as a pure engine with an injectable clock (no I/O, no asyncio).

Rules (docs/protocol.md, ../shared/design/reference-figures.md): one running auction per show; a
bid must reach the current price + the minimum increment for that price band (the first bid must
reach the starting bid); unless sudden death, a bid with under 10 s left pushes the end out to
counter_bid_s from now; sudden death ends on the clock; a running auction cannot be cancelled; no
bids -> not sold. Buyers may give a max bid and the engine bids for them by increments.

Money is kept in integer cents so increments never drift; the wire uses decimal dollars. The money,
increment and time rules themselves live in ``platform/rules.py``, shared with the studio.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.rules import (
    COUNTER_BID_DEFAULT_S,
    COUNTER_BID_WINDOW_S,
    MIN_STARTING_BID_CENTS,
    increment_cents,
    next_min_bid_cents,
    to_cents,
    to_dollars,
)

__all__ = ["Auction", "AuctionEngine", "AuctionError", "Bid", "increment_cents", "to_cents", "to_dollars"]


class AuctionError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Bid:
    user: str
    amount_cents: int
    ends_at: float
    next_min_cents: int
    is_proxy: bool  # placed by the engine on behalf of a max bid


@dataclass
class Auction:
    auction_id: str
    item_id: str
    starting_bid_cents: int
    started_at: float
    ends_at: float
    counter_bid_s: float
    sudden_death: bool
    price_cents: int = 0  # 0 until the first bid
    leader: str | None = None
    leader_max_cents: int = 0
    is_running: bool = True
    bids: list[Bid] = field(default_factory=list)

    @property
    def next_min_cents(self) -> int:
        return next_min_bid_cents(self.price_cents if self.leader is not None else None, self.starting_bid_cents)

    @property
    def is_sold(self) -> bool:
        return not self.is_running and self.leader is not None


class AuctionEngine:
    """All auctions of one show. Call ``tick()`` often; it ends auctions whose clock ran out."""

    def __init__(self, clock: Callable[[], float], money_text: Callable[[int], str] | None = None):
        """``money_text`` words an amount in cents for error messages (the server: in the show's
        currency, "$32.00" / "NOK 32.00"); plain "32.00" without it."""
        self.clock = clock
        self.money_text = money_text or (lambda cents: f"{to_dollars(cents):.2f}")
        self.auctions: dict[str, Auction] = {}
        self.running: Auction | None = None
        self._ids = itertools.count(1)
        self._ended: list[Auction] = []  # ended by an implicit check, not yet reported by tick()

    def start(self, item_id: str, starting_bid_cents: int, duration_s: float,
              counter_bid_s: float = COUNTER_BID_DEFAULT_S,
              sudden_death: bool = False) -> Auction:
        self._expire()  # an auction whose clock already ran out must not block the next one
        if self.running is not None:
            raise AuctionError(ErrorCode.AUCTION_RUNNING,
                               f"auction {self.running.auction_id} is still running; wait for it to end")
        if starting_bid_cents < MIN_STARTING_BID_CENTS:
            raise AuctionError(ErrorCode.BAD_MESSAGE,
                               f"the starting bid must be at least {self.money_text(MIN_STARTING_BID_CENTS)}")
        now = self.clock()
        auction = Auction(
            auction_id=f"a{next(self._ids)}", item_id=item_id, starting_bid_cents=starting_bid_cents,
            started_at=now, ends_at=now + duration_s, counter_bid_s=counter_bid_s, sudden_death=sudden_death,
        )
        self.auctions[auction.auction_id] = auction
        self.running = auction
        return auction

    def cancel(self, auction_id: str) -> None:
        auction = self._get(auction_id)
        if auction.is_running:
            raise AuctionError(ErrorCode.CANNOT_CANCEL, "a running auction cannot be cancelled; let it end")
        raise AuctionError(ErrorCode.AUCTION_NOT_RUNNING, f"auction {auction_id} has already ended")

    def bid(self, auction_id: str, user: str, amount_cents: int, max_cents: int | None = None) -> list[Bid]:
        """Place a bid (optionally with a max for proxy bidding). Returns the bids that resulted, in order."""
        self._expire()
        auction = self._get(auction_id)
        if not auction.is_running:
            raise AuctionError(ErrorCode.AUCTION_NOT_RUNNING, f"auction {auction_id} has ended")
        now = self.clock()
        minimum = auction.next_min_cents
        max_cents = max(max_cents or amount_cents, amount_cents)
        if user == auction.leader:
            # The leader may raise their max without bidding against themselves.
            if max_cents <= auction.leader_max_cents:
                raise AuctionError(ErrorCode.BID_TOO_LOW,
                                   f"you already lead with a max of {self.money_text(auction.leader_max_cents)}")
            auction.leader_max_cents = max_cents
            return []
        if amount_cents < minimum:
            raise AuctionError(ErrorCode.BID_TOO_LOW, f"the next bid must be at least {self.money_text(minimum)}")

        placed: list[tuple[str, int, bool]] = []
        leader, leader_max = auction.leader, auction.leader_max_cents
        if leader is not None and leader_max >= max_cents:
            # The standing max wins (ties go to the earlier bidder): the challenger is outbid at once.
            placed.append((user, max_cents, False))
            defend = min(leader_max, max_cents + increment_cents(max_cents))
            placed.append((leader, defend, True))
        else:
            price = amount_cents
            if leader is not None and leader_max > auction.price_cents:
                # The old leader's proxy goes to its max, the challenger just beats it.
                placed.append((leader, leader_max, True))
                price = max(amount_cents, min(max_cents, leader_max + increment_cents(leader_max)))
            placed.append((user, price, False))
            auction.leader, auction.leader_max_cents = user, max_cents

        # Counter-bid rule: one extension per incoming bid, and it never shortens the clock.
        if not auction.sudden_death and auction.ends_at - now < COUNTER_BID_WINDOW_S:
            auction.ends_at = max(auction.ends_at, now + auction.counter_bid_s)
        bids = []
        for who, cents, is_proxy in placed:
            auction.price_cents = max(auction.price_cents, cents)
            bid = Bid(user=who, amount_cents=cents, ends_at=auction.ends_at, next_min_cents=0, is_proxy=is_proxy)
            bids.append(bid)
        for bid in bids:
            bid.next_min_cents = auction.next_min_cents
        auction.bids.extend(bids)
        return bids

    def tick(self) -> list[Auction]:
        """End the running auction if its clock ran out. Returns the auctions ended since the last tick."""
        self._expire()
        ended, self._ended = self._ended, []
        return ended

    def _expire(self) -> None:
        auction = self.running
        if auction is not None and self.clock() >= auction.ends_at:
            auction.is_running = False
            self.running = None
            self._ended.append(auction)

    def _get(self, auction_id: str) -> Auction:
        auction = self.auctions.get(auction_id)
        if auction is None:
            raise AuctionError(ErrorCode.NOT_FOUND, f"no auction {auction_id!r}")
        return auction
