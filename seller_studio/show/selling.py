"""Selling state the side panel and the on-stream product card render (no Qt, no network).

The platform is the authority: the platform client feeds its events in (``on_auction_started``,
``on_bid``, ``on_auction_ended``, ``on_purchase``, ``on_giveaway_*``) and this model keeps what the
seller and the viewers see consistent, and writes every result to the inventory database.

Time: local times are ``time.monotonic()`` seconds (immune to wall-clock jumps mid-auction);
server times (``ends_at``, ``server_time``) are unix epoch seconds. ``ClockSync`` maps between them.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import current_locale, tr, tr_noop
from seller_studio.platform import rules
from seller_studio.platform.rules import increment_cents as min_increment_cents  # noqa: F401 (re-export)
from seller_studio.platform.rules import next_min_bid_cents as next_min_bid_cents
from seller_studio.platform.rules import to_cents as to_cents
from seller_studio.show.inventory import InventoryStore, Item, Sale

log = logging.getLogger(__name__)

RESULT_GRACE_S = 15.0  # how long after an auction's end its result may take to arrive
# The platform's rules (money, increments, limits) live in platform/rules.py; the names imported
# above stay importable from here for the show's callers.


class SellingError(Exception):
    """An action the seller cannot take now (the panel shows ``str(err)``)."""


def to_epoch_s(value: float | int | str | datetime) -> float:
    """Server timestamps as epoch seconds: accepts seconds, milliseconds, ISO 8601 or datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a server time without a zone is UTC, never the seller's local time
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    number = float(value)
    return number / 1000.0 if number > 1e11 else number  # 1e11 s is year 5138; must be ms


def platform_item_id(item_id: int) -> str:
    """The id the platform knows an item by (protocol ids are strings)."""
    return str(item_id)


def local_item_id(value: int | str) -> int:
    """The inventory id inside a platform item id; SellingError for one this studio never sent
    (platform data is untrusted: "abc", "", a 400-digit number)."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise SellingError(tr_noop("the platform named an item this studio does not know ({value})").format(value=repr(text[:40])))
    return int(text)


def item_show_payload(item: Item) -> dict[str, Any]:
    """The ``item`` of the protocol's ``item.show`` (money in dollars, like every protocol amount)."""
    return {
        "item_id": platform_item_id(item.id or 0),
        "sku": item.sku,
        "title": item.title,
        "description": item.description,
        "type": item.type,
        "price": rules.to_dollars(item.price_cents),
        "quantity": item.quantity,
        "condition": item.condition,
        "shipping_profile": item.shipping_profile,
        "images": [i for i in item.images if i.startswith(("http://", "https://"))],  # not local paths
    }


# --- clock ---------------------------------------------------------------------------------------------


class ClockSync:
    """Estimates ``offset_s = server epoch time - local monotonic time``.

    Start from the welcome message's ``server_time``; refine with ping samples. Like NTP's clock
    filter, trust the sample with the smallest round trip among the recent ones: its error is at
    most half that round trip.
    """

    def __init__(self, local_clock: Callable[[], float] = time.monotonic, window: int = 8) -> None:
        self.local_clock = local_clock
        self._samples: deque[tuple[float, float]] = deque(maxlen=window)  # (rtt_s, offset_s)
        self._lock = threading.Lock()
        self.offset_s: float | None = None
        self.rtt_s: float | None = None  # round trip of the sample in use (inf: unknown)

    @property
    def is_synced(self) -> bool:
        return self.offset_s is not None

    def set_from_welcome(
        self, server_time: float, received_at: float | None = None, sent_at: float | None = None
    ) -> float:
        """``server_time`` from the welcome; ``sent_at`` (local) of our hello if known."""
        received_at = self.local_clock() if received_at is None else received_at
        with self._lock:
            self._samples.clear()
        if sent_at is not None:
            return self.add_ping_sample(sent_at, server_time, received_at)
        return self._add(math.inf, server_time - received_at)

    def add_ping_sample(self, sent_at: float, server_time: float, received_at: float) -> float:
        """A ping sent at local ``sent_at``, answered with ``server_time``, back at ``received_at``."""
        rtt_s = received_at - sent_at
        if rtt_s < 0:
            raise ValueError("received_at is before sent_at")
        return self._add(rtt_s, server_time - (sent_at + received_at) / 2.0)

    def _add(self, rtt_s: float, offset_s: float) -> float:
        with self._lock:
            self._samples.append((rtt_s, offset_s))
            best_rtt, best_offset = min(self._samples, key=lambda s: s[0])
            self.rtt_s, self.offset_s = best_rtt, best_offset
            return best_offset

    def server_now(self, local_now: float | None = None) -> float:
        local_now = self.local_clock() if local_now is None else local_now
        return local_now + self._offset()

    def to_local(self, server_time: float) -> float:
        return server_time - self._offset()

    def _offset(self) -> float:
        if self.offset_s is None:
            # No welcome yet: assume the wall clock is right rather than refuse to count down.
            return time.time() - time.monotonic()
        return self.offset_s


class AuctionCountdown:
    """Seconds left, from the server's ``ends_at`` and the measured clock offset.

    Everyone shows ``display_s`` = ceil(remaining): the same rule in studio, overlay and platform
    keeps them on the same second.
    """

    def __init__(self, clock: ClockSync, ends_at: float) -> None:
        self.clock = clock
        self.ends_at = to_epoch_s(ends_at)

    def set_ends_at(self, ends_at: float) -> None:
        self.ends_at = to_epoch_s(ends_at)

    def remaining_s(self, now: float | None = None) -> float:
        """``now`` is local monotonic time (default: now)."""
        return max(0.0, self.ends_at - self.clock.server_now(now))

    def display_s(self, now: float | None = None) -> int:
        return math.ceil(self.remaining_s(now) - 1e-9)

    def label(self, now: float | None = None) -> str:
        seconds = self.display_s(now)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def is_over(self, now: float | None = None) -> bool:
        return self.remaining_s(now) <= 0.0


# --- auctions ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuctionPreset:
    name: str
    duration_s: float = 30.0
    counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S
    is_sudden_death: bool = False
    starting_bid_cents: int | None = None  # None: the item's price

    def __post_init__(self) -> None:
        if not (rules.AUCTION_DURATION_MIN_S <= self.duration_s <= rules.AUCTION_DURATION_MAX_S):
            raise ValueError(tr("auction duration must be between {min_s} s and 1 hour").format(
                min_s=f"{rules.AUCTION_DURATION_MIN_S:g}"))
        if not (rules.COUNTER_BID_MIN_S <= self.counter_bid_s <= rules.COUNTER_BID_MAX_S):
            raise ValueError(tr("counter-bid time must be between {min_s} and {max_s} s").format(
                min_s=f"{rules.COUNTER_BID_MIN_S:g}", max_s=f"{rules.COUNTER_BID_MAX_S:g}"))


DEFAULT_PRESETS = (
    AuctionPreset(tr_noop("Quick 15 s"), duration_s=15),
    AuctionPreset(tr_noop("Standard 30 s"), duration_s=30),
    AuctionPreset(tr_noop("Sudden death 20 s"), duration_s=20, is_sudden_death=True),
)


class AuctionPhase(Enum):
    RUNNING = "running"
    SOLD = "sold"
    UNSOLD = "unsold"


@dataclass
class Auction:
    auction_id: str
    item_id: int
    starting_bid_cents: int
    countdown: AuctionCountdown
    is_sudden_death: bool = False
    counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S
    phase: AuctionPhase = AuctionPhase.RUNNING
    current_bid_cents: int | None = None
    current_bidder: str | None = None
    bid_count: int = 0
    winner: str | None = None
    price_cents: int | None = None
    sale: Sale | None = None

    @property
    def next_min_bid_cents(self) -> int:
        return next_min_bid_cents(self.current_bid_cents, self.starting_bid_cents)


@dataclass
class Giveaway:
    giveaway_id: str
    item_id: int
    countdown: AuctionCountdown
    entrants: list[str] = field(default_factory=list)
    winner: str | None = None
    is_closed: bool = False
    sale: Sale | None = None

    def draw(self, rng: random.Random | None = None) -> str | None:
        """A local draw (sandbox, offline rehearsal); on a live show the platform draws."""
        if not self.entrants:
            return None
        return (rng or random.Random()).choice(self.entrants)


@dataclass(frozen=True)
class ItemNote:
    """The line the panel shows under the showing item (the rule that just applied, the last result).

    It names the item it is about: the panel shows it only while that item is showing, so a result
    for another item (a late giveaway draw, a buy-it-now sale of an earlier item) never appears
    under the wrong one."""

    item_id: int
    text: str


@dataclass
class OpenListing:
    """A buy-it-now listing the platform confirmed open (``listing.opened``), until it sells out."""

    item_id: int
    price_cents: int
    quantity_opened: int
    quantity_left: int


@dataclass(frozen=True)
class ProductCard:
    """What the overlay draws for the showing item (strings ready to render)."""

    title: str
    price_caption: str  # "Starting bid", "Current bid", "Buy It Now", "Giveaway", "Sold"
    price_text: str
    countdown_text: str | None = None  # "0:27" while an auction or giveaway runs
    bidder: str | None = None
    sold_to: str | None = None  # set for the SOLD flash
    quantity_left: int | None = None
    is_giveaway: bool = False  # the flash says WON, not SOLD


def format_money(price_cents: int, currency: str = rules.DEFAULT_CURRENCY) -> str:
    """Minor units in the show's ``currency`` as the seller reads them in the studio's language
    ("kr 1 299,00" in nb, "$1,299.00" in en): ``rules.format_money`` with ``i18n.current_locale()``."""
    return rules.format_money(price_cents, currency, current_locale())


def format_total(sales: Sequence[Sale], currency: str = rules.DEFAULT_CURRENCY) -> str:
    """The sum of ``sales`` as money: one amount per currency present ("kr 2 598,00 + USD 5,00" in nb), never a
    sum across currencies; ``currency`` (the show's) when there are none."""
    totals: dict[str, int] = {}
    for sale in sales:
        totals[sale.currency] = totals.get(sale.currency, 0) + sale.price_cents
    if not totals:
        return format_money(0, currency)
    return " + ".join(format_money(cents, code) for code, cents in totals.items())


SHOW_START_SLACK_S = 2.0  # clock estimates on both sides: a sale this close before the start still counts


def this_show_sales(sales: Sequence[Sale], started_at: float | None) -> list[Sale]:
    """The sales made since the show started (all of them when no start is known)."""
    if started_at is None:
        return list(sales)
    return [s for s in sales if s.sold_at >= started_at - SHOW_START_SLACK_S]


def _type_words(item_type: str) -> str:
    return {"auction": tr("auction"), "buy_it_now": tr("buy it now"), "giveaway": tr("giveaway")}.get(
        item_type, item_type.replace("_", " "))


def _left_text(left: int) -> str:
    return tr("Sold out.") if left == 0 else tr("{n} left.").format(n=left)


def _sale_note(sale: Sale, item: Item | None) -> str:
    price = format_money(sale.price_cents, sale.currency)
    if sale.type == "giveaway":
        return tr("Giveaway won by {buyer}.").format(buyer=sale.buyer)
    if sale.type == "buy_it_now":
        left = item.quantity if item is not None else 0
        return tr("Last bought by {buyer}: {price}.").format(buyer=sale.buyer, price=price) + " " + _left_text(left)
    return tr("Sold to {buyer} for {price}.").format(buyer=sale.buyer, price=price)


class SellingSession:
    """The selling state of one show, fed by platform events, persisted through the store.

    Events (all payloads plain data): ``item_changed`` {item_id}; ``auction_started``
    {auction_id, item_id, ends_at, starting_bid_cents, is_sudden_death}; ``bid`` {auction_id,
    amount_cents, bidder, ends_at, is_extended}; ``auction_sold`` {auction_id, item_id, winner,
    price_cents, sale_id}; ``auction_unsold`` {auction_id, item_id}; ``run_it_back`` {item_id};
    ``purchase`` {item_id, buyer, quantity, price_cents, sale_id, quantity_left}; ``sold_out``
    {item_id}; ``giveaway_started`` {giveaway_id, item_id, ends_at}; ``giveaway_entry``
    {giveaway_id, user, entrants}; ``giveaway_won`` {giveaway_id, item_id, winner, sale_id};
    ``giveaway_no_entries`` {giveaway_id, item_id}; ``listing_open`` {item_id, quantity_left}.

    ``note`` is the line under the showing item; it always belongs to that item and this show
    (results of earlier shows or other items never show there).
    """

    def __init__(self, store: InventoryStore, show_id: str, clock: ClockSync | None = None) -> None:
        self.store = store
        self.show_id = show_id
        self.clock = clock or ClockSync()
        self.events = EventEmitter()
        self.item: Item | None = None
        self.auction: Auction | None = None
        self.giveaway: Giveaway | None = None
        self.note: ItemNote | None = None
        self.last_sale: Sale | None = None  # the showing item's last sale in this show, when it came back on
        self.listings: dict[int, OpenListing] = {}  # open buy-it-now listings by item id
        self.show_started_at: float | None = None  # server epoch s: sales before it are an earlier show's
        self.currency = rules.DEFAULT_CURRENCY  # the show's ISO 4217 currency (the platform's word wins)
        self._lock = threading.RLock()  # platform events and panel actions come from different threads

    # --- the showing item ----------------------------------------------------------------------------

    def set_item(self, item_id: int | None) -> None:
        """The run of show changed the now-showing item."""
        with self._lock:
            self.check_can_change_item()
            self.item = self.store.get_item(item_id) if item_id is not None else None
            if item_id is not None and self.item is None:
                raise SellingError(tr("item {item_id} is not in the inventory").format(item_id=item_id))
            self.auction = None
            self.giveaway = None
            self.last_sale = self._last_sale_this_show(item_id)
            self.note = ItemNote(item_id, _sale_note(self.last_sale, self.item)) \
                if self.last_sale is not None and item_id is not None else None
        self.events.emit("item_changed", item_id=item_id)

    def _last_sale_this_show(self, item_id: int | None) -> Sale | None:
        """Back on an item: its last result in this show (never an earlier show's), else None."""
        if item_id is None:
            return None
        sales = [s for s in this_show_sales(self.store.list_sales(self.show_id), self.show_started_at)
                 if s.item_id == item_id]
        return sales[-1] if sales else None

    def set_note(self, item_id: int | None, text: str) -> None:
        """The line under ``item_id`` (ignored unless that item is showing: it would be a lie)."""
        with self._lock:
            if item_id is None or self.item is None or self.item.id != item_id:
                return
            self.note = ItemNote(item_id, text) if text else None

    def note_text(self) -> str:
        """The line under the showing item, '' when there is nothing to say about it."""
        with self._lock:
            note, item = self.note, self.item
            if note is None or item is None or note.item_id != item.id:
                return ""
            return note.text

    def open_listing(self) -> OpenListing | None:
        """The open buy-it-now listing of the showing item, if there is one."""
        with self._lock:
            if self.item is None or self.item.id is None:
                return None
            return self.listings.get(self.item.id)

    def _refresh_item(self) -> None:
        if self.item is not None and self.item.id is not None:
            self.item = self.store.get_item(self.item.id)

    def check_can_change_item(self) -> None:
        """Raise SellingError if the showing item cannot change now (pass as RunOfShow's guard)."""
        auction = self.auction
        if auction is not None and auction.phase is AuctionPhase.RUNNING:
            # Past the clock plus a grace period, a lost result must not lock the seller in; the
            # result still records when it arrives (auction.ended carries the item id).
            seconds_past_end = self.clock.server_now() - auction.countdown.ends_at
            if seconds_past_end < RESULT_GRACE_S:
                raise SellingError(tr_noop("an auction is running: it cannot be cancelled; wait for the result"))
            log.warning("no result for auction %s %.0f s after its end; letting the item change",
                        auction.auction_id, seconds_past_end)

    @property
    def is_auction_running(self) -> bool:
        return self.auction is not None and self.auction.phase is AuctionPhase.RUNNING

    # --- auctions ------------------------------------------------------------------------------------

    def auction_request(self, preset: AuctionPreset) -> dict[str, Any]:
        """Check the seller can start an auction now and build what the platform client sends."""
        with self._lock:
            item = self.item
            if item is None:
                raise SellingError(tr("show an item first"))
            if item.type != "auction":
                raise SellingError(tr("{title} is listed as {type}, not auction").format(
                    title=repr(item.title), type=_type_words(item.type)))
            if self.is_auction_running:
                raise SellingError(tr("an auction is already running"))
            if item.quantity < 1 or item.status in ("sold", "sold_out"):
                raise SellingError(tr("{title} is sold out").format(title=repr(item.title)))
            starting = preset.starting_bid_cents if preset.starting_bid_cents is not None else item.price_cents
            if starting < rules.MIN_STARTING_BID_CENTS:
                raise SellingError(tr("the starting bid must be at least {price}").format(
                    price=self.money(rules.MIN_STARTING_BID_CENTS)))
            if starting > rules.MONEY_MAX_CENTS:
                raise SellingError(tr("the starting bid can be at most {price}").format(
                    price=self.money(rules.MONEY_MAX_CENTS)))
            # Keys and units of the protocol's auction.start, so the client sends it as is.
            return {
                "item_id": platform_item_id(item.id or 0),
                "starting_bid": rules.to_dollars(starting),
                "duration_s": preset.duration_s,
                "counter_bid_s": preset.counter_bid_s,
                "sudden_death": preset.is_sudden_death,
            }

    def on_auction_started(
        self,
        auction_id: str,
        *,
        item_id: int | str,
        ends_at: float | str,
        starting_bid_cents: int,
        is_sudden_death: bool = False,
        counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S,
    ) -> Auction:
        with self._lock:
            if self.auction is not None and self.auction.auction_id == auction_id:
                return self.auction  # replayed after a reconnect
            item_id = local_item_id(item_id)
            auction = Auction(
                auction_id=auction_id,
                item_id=item_id,
                starting_bid_cents=starting_bid_cents,
                countdown=AuctionCountdown(self.clock, to_epoch_s(ends_at)),
                is_sudden_death=is_sudden_death,
                counter_bid_s=counter_bid_s,
            )
            self.auction = auction
            # The showing item is the run of show's to change (the controller moves it to a live
            # auction's item); never swapped here behind its back, e.g. by a replayed old auction.
            self.set_note(item_id, tr("Sudden death: no extensions; it sells when the clock hits 0.")
                          if is_sudden_death else "")
        self.events.emit(
            "auction_started",
            auction_id=auction_id,
            item_id=item_id,
            ends_at=auction.countdown.ends_at,
            starting_bid_cents=starting_bid_cents,
            is_sudden_death=is_sudden_death,
        )
        return auction

    def _current_auction(self, auction_id: str) -> Auction | None:
        if self.auction is None or self.auction.auction_id != auction_id:
            log.warning("event for auction %s, which is not the current one; ignored", auction_id)
            return None
        return self.auction

    def on_bid(
        self, auction_id: str, *, amount_cents: int, bidder: str, ends_at: float | str | None = None
    ) -> None:
        with self._lock:
            auction = self._current_auction(auction_id)
            if auction is None or auction.phase is not AuctionPhase.RUNNING:
                return
            if auction.current_bid_cents is not None and amount_cents <= auction.current_bid_cents:
                return  # an older bid arriving late: the higher one already shows
            auction.current_bid_cents = amount_cents
            auction.current_bidder = bidder
            auction.bid_count += 1
            is_extended = False
            if ends_at is not None:
                new_ends_at = to_epoch_s(ends_at)
                is_extended = new_ends_at > auction.countdown.ends_at
                auction.countdown.set_ends_at(new_ends_at)
            if is_extended:
                self.set_note(auction.item_id, tr("Late bid: the clock went back up (counter-bid)."))
            payload_ends_at = auction.countdown.ends_at
        self.events.emit(
            "bid",
            auction_id=auction_id,
            amount_cents=amount_cents,
            bidder=bidder,
            ends_at=payload_ends_at,
            is_extended=is_extended,
        )

    def on_auction_ended(
        self,
        auction_id: str,
        *,
        winner: str | None,
        price_cents: int | None,
        ended_at: float | str | None = None,
        item_id: int | str | None = None,
    ) -> Sale | None:
        """The platform's result. A winner becomes a recorded sale (durably, once); no winner
        marks the item unsold so the seller can run it back."""
        with self._lock:
            auction = self.auction if self.auction and self.auction.auction_id == auction_id else None
            target_item_id = local_item_id(item_id) if item_id not in (None, "") else (
                auction.item_id if auction else None)
            if target_item_id is None:
                log.error("result for unknown auction %s without an item id; cannot record", auction_id)
                return None
            sold_at = to_epoch_s(ended_at) if ended_at is not None else self.clock.server_now()
            sale: Sale | None = None
            if winner is not None and price_cents is not None:
                sale = self.store.record_sale(
                    target_item_id,
                    buyer=winner,
                    price_cents=price_cents,
                    sale_type="auction",
                    show_id=self.show_id,
                    auction_id=auction_id,
                    sold_at=sold_at,
                    currency=self.currency,
                )
                if auction is not None:
                    if auction.current_bid_cents not in (None, price_cents):
                        log.info("auction %s: platform price %s differs from last bid seen %s",
                                 auction_id, price_cents, auction.current_bid_cents)
                    auction.phase, auction.winner, auction.price_cents = AuctionPhase.SOLD, winner, price_cents
                    auction.sale = sale
                self.set_note(target_item_id, tr("Sold to {buyer} for {price}.").format(
                    buyer=winner, price=self.money(price_cents)))
            else:
                self.store.set_status(target_item_id, "unsold")
                if auction is not None:
                    auction.phase = AuctionPhase.UNSOLD
                self.set_note(target_item_id, tr("No bids: not sold. Run it back, or go Next."))
            self._refresh_item()
        if sale is not None:
            self.events.emit("auction_sold", auction_id=auction_id, item_id=target_item_id,
                             winner=winner, price_cents=price_cents, sale_id=sale.id)
        else:
            self.events.emit("auction_unsold", auction_id=auction_id, item_id=target_item_id)
        return sale

    @property
    def can_run_it_back(self) -> bool:
        return self.auction is not None and self.auction.phase is AuctionPhase.UNSOLD

    def run_it_back(self) -> None:
        """An unsold item goes back on: clear the old auction; the seller starts a new one."""
        with self._lock:
            if not self.can_run_it_back or self.auction is None:
                raise SellingError(tr_noop("only an unsold auction can be run back"))
            item_id = self.auction.item_id
            self.auction = None
            self.store.mark_showing(item_id)
            self._refresh_item()
            self.set_note(item_id, "")
        self.events.emit("run_it_back", item_id=item_id)

    # --- buy it now ----------------------------------------------------------------------------------

    def on_purchase(
        self,
        *,
        buyer: str,
        quantity: int = 1,
        price_cents: int | None = None,
        order_id: str | None = None,
        item_id: int | str | None = None,
        purchased_at: float | str | None = None,
    ) -> Sale:
        """A buy-it-now purchase; ``price_cents`` is the total (default: item price x quantity).

        ``order_id``: unique per purchase in this show (e.g. ``f"sale-{event.seq}"`` from the
        platform's ``sale`` event) so a replayed event is not recorded twice."""
        with self._lock:
            target = self.store.get_item(local_item_id(item_id)) if item_id is not None else self.item
            if target is None or target.id is None:
                raise SellingError(tr("no item for this purchase"))
            total_cents = price_cents if price_cents is not None else target.price_cents * quantity
            sale = self.store.record_sale(
                target.id,
                buyer=buyer,
                price_cents=total_cents,
                sale_type="buy_it_now",
                show_id=self.show_id,
                auction_id=order_id,
                quantity=quantity,
                sold_at=to_epoch_s(purchased_at) if purchased_at is not None else self.clock.server_now(),
                currency=self.currency,
            )
            after = self.store.get_item(target.id)
            if self.item is not None and self.item.id == target.id:
                self.item = after
            left = after.quantity if after else 0
            if sale.is_new:
                listing = self.listings.get(target.id)
                if listing is not None:  # the listing's own count (it may offer fewer than the stock)
                    listing.quantity_left = max(0, min(listing.quantity_left - quantity, left))
                    if listing.quantity_left == 0:
                        del self.listings[target.id]
                bought = f"{quantity} × " if quantity > 1 else ""
                self.set_note(target.id, tr("Bought by {buyer}: {price}.").format(
                    buyer=buyer, price=bought + self.money(total_cents)) + " " + _left_text(left))
        if sale.is_new:
            self.events.emit("purchase", item_id=target.id, buyer=buyer, quantity=quantity,
                             price_cents=total_cents, sale_id=sale.id, quantity_left=left)
            if left == 0:
                self.events.emit("sold_out", item_id=target.id)
        return sale

    def on_listing_opened(self, item_id: int | str, *, price_cents: int, quantity: int) -> OpenListing:
        """The platform confirmed a buy-it-now listing: the panel shows it open until it sells out."""
        item_id = local_item_id(item_id)
        with self._lock:
            listing = OpenListing(item_id, price_cents, quantity, quantity)
            self.listings[item_id] = listing
            self.set_note(item_id, tr("Buy It Now open: {quantity} at {price}.").format(
                quantity=quantity, price=self.money(price_cents)))
        self.events.emit("listing_open", item_id=item_id, quantity_left=quantity)
        return listing

    def set_listing_left(self, item_id: int | str, quantity_left: int) -> None:
        """The platform's count of what its listing still offers (``sale.quantity_left``); at 0, or on
        ``listing.sold_out``, the listing is closed and the button offers to open it again."""
        item_id = local_item_id(item_id)
        with self._lock:
            listing = self.listings.get(item_id)
            if listing is None:
                return
            listing.quantity_left = max(0, quantity_left)
            if listing.quantity_left == 0:
                del self.listings[item_id]
        self.events.emit("listing_open", item_id=item_id, quantity_left=max(0, quantity_left))

    def buy_now_request(self, quantity: int | None = None) -> dict[str, Any]:
        """The protocol's ``listing.buy_now`` for the showing item (default: all in stock)."""
        with self._lock:
            item = self.item
            if item is None:
                raise SellingError("show an item first")
            if item.type != "buy_it_now":
                raise SellingError(tr("{title} is listed as {type}, not buy it now").format(
                    title=repr(item.title), type=_type_words(item.type)))
            if item.quantity < 1:
                raise SellingError(tr("{title} is sold out").format(title=repr(item.title)))
            if item.price_cents < 1:
                raise SellingError(tr("{title} has no price").format(title=repr(item.title)))
            if item.price_cents > rules.MONEY_MAX_CENTS:
                raise SellingError(tr("the price can be at most {price}").format(
                    price=self.money(rules.MONEY_MAX_CENTS)))
            wanted = min(item.quantity, rules.BUY_NOW_MAX_QUANTITY) if quantity is None else quantity
            if not (1 <= wanted <= item.quantity):
                raise SellingError(tr("only {n} in stock").format(n=item.quantity))
            if wanted > rules.BUY_NOW_MAX_QUANTITY:
                raise SellingError(tr("a buy-now listing holds at most {n}").format(
                    n=f"{rules.BUY_NOW_MAX_QUANTITY:,}"))
            return {"item_id": platform_item_id(item.id or 0), "price": rules.to_dollars(item.price_cents),
                    "quantity": wanted}

    @property
    def quantity_left(self) -> int | None:
        return self.item.quantity if self.item else None

    @property
    def is_sold_out(self) -> bool:
        return self.item is not None and self.item.quantity == 0

    # --- giveaways -----------------------------------------------------------------------------------

    def giveaway_request(self, duration_s: float) -> dict[str, Any]:
        with self._lock:
            if self.item is None:
                raise SellingError("show an item first")
            if not (rules.GIVEAWAY_MIN_S <= duration_s <= rules.GIVEAWAY_MAX_S):
                raise SellingError(tr("a giveaway's entry window is {min_s} s to 5 minutes").format(
                    min_s=f"{rules.GIVEAWAY_MIN_S:g}"))
            if self.giveaway is not None and not self.giveaway.is_closed:
                raise SellingError(tr_noop("a giveaway is already open"))
            return {"item_id": platform_item_id(self.item.id or 0), "duration_s": duration_s}

    def on_giveaway_started(self, giveaway_id: str, *, item_id: int | str, ends_at: float | str) -> Giveaway:
        item_id = local_item_id(item_id)
        with self._lock:
            if self.giveaway is not None and self.giveaway.giveaway_id == giveaway_id:
                return self.giveaway
            ends_at_s = to_epoch_s(ends_at)
            window_s = ends_at_s - self.clock.server_now()
            if window_s > rules.GIVEAWAY_MAX_S + 1.0:
                log.warning("giveaway %s window %.0f s is over the 5 min rule", giveaway_id, window_s)
            giveaway = Giveaway(giveaway_id, item_id, AuctionCountdown(self.clock, ends_at_s))
            self.giveaway = giveaway
            self.set_note(item_id, "")
        self.events.emit("giveaway_started", giveaway_id=giveaway_id, item_id=item_id, ends_at=ends_at_s)
        return giveaway

    def on_giveaway_entry(self, giveaway_id: str, user: str) -> None:
        with self._lock:
            g = self.giveaway
            if g is None or g.giveaway_id != giveaway_id or g.is_closed or user in g.entrants:
                return
            g.entrants.append(user)
            count = len(g.entrants)
        self.events.emit("giveaway_entry", giveaway_id=giveaway_id, user=user, entrants=count)

    def on_giveaway_ended(
        self, giveaway_id: str, *, winner: str | None, item_id: int | str | None = None
    ) -> Sale | None:
        with self._lock:
            g = self.giveaway if self.giveaway and self.giveaway.giveaway_id == giveaway_id else None
            target_item_id = local_item_id(item_id) if item_id not in (None, "") else (g.item_id if g else None)
            if target_item_id is None:
                log.error("result for unknown giveaway %s without an item id", giveaway_id)
                return None
            sale = None
            if winner is not None:
                # Recorded as a $0 sale so the winner is on the shipping list.
                sale = self.store.record_sale(
                    target_item_id, buyer=winner, price_cents=0, sale_type="giveaway",
                    show_id=self.show_id, auction_id=giveaway_id, sold_at=self.clock.server_now(),
                    currency=self.currency,
                )
            if g is not None:
                g.is_closed, g.winner, g.sale = True, winner, sale
            self.set_note(target_item_id, tr("Giveaway won by {buyer}.").format(buyer=winner) if winner
                          else tr("Nobody entered the giveaway."))
            self._refresh_item()
        if sale is not None:
            self.events.emit("giveaway_won", giveaway_id=giveaway_id, item_id=target_item_id,
                             winner=winner, sale_id=sale.id)
        else:
            self.events.emit("giveaway_no_entries", giveaway_id=giveaway_id, item_id=target_item_id)
        return sale

    # --- what the overlay draws ----------------------------------------------------------------------

    def money(self, cents: int, currency: str | None = None) -> str:
        """``cents`` in this show's currency (or ``currency``), in the studio's language."""
        return format_money(cents, currency or self.currency)

    def product_card(self, now: float | None = None) -> ProductCard | None:
        """The product card for the showing item at local monotonic time ``now``."""
        with self._lock:
            item, auction, giveaway = self.item, self.auction, self.giveaway
            if item is None:
                return None
            if auction is not None and auction.item_id == item.id:
                if auction.phase is AuctionPhase.SOLD:
                    return ProductCard(item.title, tr("Sold"), self.money(auction.price_cents or 0),
                                       sold_to=auction.winner)
                if auction.phase is AuctionPhase.UNSOLD:
                    return ProductCard(item.title, tr("No bids"), self.money(auction.starting_bid_cents))
                if auction.current_bid_cents is None:
                    return ProductCard(item.title, tr("Starting bid"), self.money(auction.starting_bid_cents),
                                       countdown_text=auction.countdown.label(now))
                return ProductCard(item.title, tr("Current bid"), self.money(auction.current_bid_cents),
                                   countdown_text=auction.countdown.label(now), bidder=auction.current_bidder)
            if giveaway is not None and giveaway.item_id == item.id:
                if giveaway.is_closed:
                    return ProductCard(item.title, tr("Giveaway"), tr("Free"), is_giveaway=True, sold_to=giveaway.winner)
                return ProductCard(item.title, tr("Giveaway"), tr("Free"), is_giveaway=True, countdown_text=giveaway.countdown.label(now))
            last = self.last_sale if self.last_sale is not None and self.last_sale.item_id == item.id else None
            if last is not None and item.quantity == 0 and last.type in ("auction", "giveaway"):
                # Back on a sold lot (Previous, a restart): the card says sold, to whom, not "Starting bid".
                if last.type == "giveaway":
                    return ProductCard(item.title, tr("Giveaway"), tr("Free"), is_giveaway=True, sold_to=last.buyer)
                return ProductCard(item.title, tr("Sold"), self.money(last.price_cents, last.currency), sold_to=last.buyer)
            if item.type == "buy_it_now":
                caption = tr("Sold out") if item.quantity == 0 else tr("Buy It Now")
                return ProductCard(item.title, caption, self.money(item.price_cents), quantity_left=item.quantity)
            if item.type == "giveaway":
                return ProductCard(item.title, tr("Giveaway"), tr("Free"), is_giveaway=True)
            return ProductCard(item.title, tr("Starting bid"), self.money(item.price_cents))


# --- quick replies -------------------------------------------------------------------------------------


@dataclass
class QuickReply:
    label: str
    text: str


DEFAULT_QUICK_REPLIES = (
    QuickReply(tr_noop("Shipping"), tr_noop("Shipping is combined: everything you win tonight ships together for one fee.")),
    QuickReply(tr_noop("Payment"), tr_noop("Payment is taken by the app at checkout with the card on your account.")),
    QuickReply(tr_noop("Next item up"), tr_noop("Next item up: {item}!")),
)


class QuickReplies:
    """The seller's editable canned chat replies, saved in the inventory database.

    Placeholders ``{item}``, ``{price}`` and ``{user}`` are filled by :meth:`render`; other braces
    stay as typed. Event: ``changed`` {"replies": [(label, text), ...]}.
    """

    def __init__(self, store: InventoryStore) -> None:
        self.store = store
        self.events = EventEmitter()
        saved = store.load_quick_replies()
        if saved is None:
            self._replies = [QuickReply(tr(r.label), tr(r.text)) for r in DEFAULT_QUICK_REPLIES]
        else:
            self._replies = [QuickReply(label, text) for _, label, text in saved]

    def replies(self) -> list[QuickReply]:
        return [QuickReply(r.label, r.text) for r in self._replies]

    def __len__(self) -> int:
        return len(self._replies)

    def add(self, label: str, text: str, position: int | None = None) -> None:
        if not text.strip():
            raise ValueError(tr("a quick reply needs some text"))
        reply = QuickReply(label.strip() or text.strip()[:20], text)
        self._replies.insert(len(self._replies) if position is None else position, reply)
        self._save()

    def update(self, index: int, *, label: str | None = None, text: str | None = None) -> None:
        reply = self._replies[index]
        if label is not None:
            reply.label = label
        if text is not None:
            if not text.strip():
                raise ValueError(tr("a quick reply needs some text"))
            reply.text = text
        self._save()

    def remove(self, index: int) -> None:
        del self._replies[index]
        self._save()

    def move(self, from_index: int, to_index: int) -> None:
        reply = self._replies.pop(from_index)
        self._replies.insert(max(0, min(to_index, len(self._replies))), reply)
        self._save()

    def reset_defaults(self) -> None:
        self._replies = [QuickReply(tr(r.label), tr(r.text)) for r in DEFAULT_QUICK_REPLIES]
        self._save()

    def render(self, index: int, *, item: Item | None = None, user: str | None = None,
               currency: str = rules.DEFAULT_CURRENCY) -> str:
        """The reply's text with ``{price}`` in the show's ``currency`` and the studio's language."""
        text = self._replies[index].text
        values: Sequence[tuple[str, str]] = (
            ("{item}", item.title if item else ""),
            ("{price}", format_money(item.price_cents, currency) if item else ""),
            ("{user}", f"@{user}" if user else ""),
        )
        for token, value in values:
            text = text.replace(token, value)
        return text

    def _save(self) -> None:
        self.store.save_quick_replies([(r.label, r.text) for r in self._replies])
        self.events.emit("changed", replies=[(r.label, r.text) for r in self._replies])
