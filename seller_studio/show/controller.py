"""ShowController: the show's wiring between the platform, the selling state, the run of show, the
inventory and the chat (no Qt).

It lives on one asyncio loop (qasync's, i.e. the GUI thread, in the app; a plain loop in tests).
Panel actions are plain methods: they check what they can at once (raising ``SellingError`` with a
sentence for the seller) and send the network part as a task, so the UI never waits on the
network; a failure comes back as an ``error`` event. Other threads use ``call_threadsafe``.

It subscribes to the platform client itself (``attach_client``): no window relays its events.
The run of show is the one place that says which item is showing; the selling session follows it
(also right after a restart), and an auction or giveaway the platform starts for another item moves
the run of show there, so the panel and Run of show never disagree.

A show (``ShowRun``) starts with the platform's ``show.started`` and ends with ``show.ended`` (or
``end_show_run``); it is kept in the database, so "this show" (the Sales tab, the recap) survives a
restart of the studio.

Events (``events``; payloads are plain data): everything ``SellingSession`` emits, plus
``now_showing`` {index, item_id}, ``queue_changed`` {item_ids}, ``chat_appended`` {count},
``chat_changed`` {msg_id}, ``user_moderated`` {user, action, until?}, ``viewers`` {count},
``listing_opened`` {item_id, price_cents, quantity}, ``platform_state`` {state},
``error`` {action, message}, ``clock_synced`` {offset_s, rtt_s}, ``show_started`` {started_at},
``show_ended`` {ended_at}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from seller_studio.common.events import EventEmitter
from seller_studio.i18n import tr_noop
from seller_studio.platform import protocol as p
from seller_studio.platform import rules
from seller_studio.show.chat import ChatLog
from seller_studio.show.csv_import import ImportResult, import_csv
from seller_studio.show.inventory import InventoryStore, Item, Sale
from seller_studio.show.recap import ShowRecap, compute_recap
from seller_studio.show.run_of_show import SELLABLE, RunOfShow
from seller_studio.show.sales_export import write_sales
from seller_studio.show.selling import (
    DEFAULT_PRESETS,
    AuctionPreset,
    ClockSync,
    ProductCard,
    QuickReplies,
    SellingError,
    SellingSession,
    item_show_payload,
    local_item_id,
    this_show_sales,
    to_cents,
    to_epoch_s,
)

log = logging.getLogger(__name__)

PING_EVERY_S = 5.0  # ClockSync refresh; the min-RTT filter keeps the best of the last 8
FIRST_PINGS = 4  # a quick burst right after connecting so the first auction is already corrected
DEFAULT_TIMEOUT_S = 600  # "timeout" button: 10 minutes

# The platform events the controller consumes (everything else is ignored here).
_HANDLED = (
    p.ShowStarted, p.ShowEnded, p.AuctionStarted, p.AuctionBid, p.AuctionEnded, p.ListingOpened, p.Sale, p.ListingSoldOut,
    p.GiveawayStarted, p.GiveawayEntry, p.GiveawayWinner, p.ChatMessage, p.ChatDeleted, p.ChatPinned,
    p.UserTimedOut, p.UserBanned, p.Viewers,
)


@dataclass
class ShowRun:
    """One show from go-live to end (server epoch seconds), kept in the database's settings."""

    started_at: float
    ended_at: float | None = None
    peak_viewers: int | None = None
    platform_show_id: str = ""

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class ShowController:
    def __init__(self, store: InventoryStore, show_id: str, *, client: Any = None,
                 clock: ClockSync | None = None, presets: tuple[AuctionPreset, ...] = DEFAULT_PRESETS,
                 currency: str = rules.DEFAULT_CURRENCY) -> None:
        self.store = store
        self.show_id = show_id
        self.events = EventEmitter()
        self.session = SellingSession(store, show_id, clock)
        self.session.currency = rules.normal_currency(currency)
        self.clock = self.session.clock
        self.run = RunOfShow(store, show_id, guard=self.session.check_can_change_item)
        self.quick_replies = QuickReplies(store)
        self.chat = ChatLog()
        self.presets: list[AuctionPreset] = list(presets)
        self.last_preset: AuctionPreset | None = None
        self.viewer_count: int | None = None
        self.client: Any = None
        self.platform_show_id = ""
        self.giveaway_duration_s = 60.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._welcome_offset_s: float | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.session.events.subscribe(self._forward)
        self.run.events.subscribe(self._on_run_event)
        self.show_run: ShowRun | None = self._load_show_run()
        self.session.show_started_at = self.show_run.started_at if self.show_run else None
        # One state: after a restart the panel shows what Run of show says is showing.
        self._sync_session_to_run()
        # Buyers of this show stay highlighted after a restart.
        for sale in store.list_sales(show_id):
            self.chat.add_buyer(sale.buyer)
        if client is not None:
            self.attach_client(client)

    # --- platform link -------------------------------------------------------------------------------

    @property
    def currency(self) -> str:
        """The show's ISO 4217 currency: every price, bid and sale of this show is in it."""
        return self.session.currency

    def set_currency(self, currency: str) -> None:
        """The seller's currency (the profile's) for a show the platform has not priced yet."""
        self._follow_platform_currency(currency)

    def money(self, cents: int) -> str:
        """``cents`` in the show's currency, in the studio's language ("kr 1 299,00" / "$1,299.00")."""
        return self.session.money(cents)

    def _follow_platform_currency(self, currency: object) -> None:
        # The platform's word (welcome, show.started) wins: its prices are in that currency.
        if rules.currency_error(currency) is None and currency != self.session.currency:
            self.session.currency = str(currency)
            self.events.emit("currency_changed", currency=self.session.currency)

    def attach_client(self, client: Any) -> None:
        """Subscribe to a connected PlatformClient's events (call on its loop). The item showing (e.g.
        restored after a restart) is shown on the platform too."""
        if client is self.client:
            return
        self.detach_client()
        self.client = client
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a Qt callback outside the loop's own callbacks
            self._loop = asyncio.get_event_loop()
        self.platform_show_id = getattr(client, "show_id", None) or ""
        self._follow_platform_currency(getattr(client, "currency", None))
        # The client measured server_time - time.time() at the welcome: map it onto our monotonic clock
        # until the pings below (which have a known round trip) take over.
        offset_wall_s = float(getattr(client, "server_time_offset_s", 0.0))
        self.clock.set_from_welcome(time.time() + offset_wall_s, received_at=self.clock.local_clock())
        # Attached before connecting: take the welcome's clock when the first event arrives (before it).
        self._welcome_offset_s = None if getattr(client, "is_connected", True) else offset_wall_s
        # replay: the backlog after the welcome (sales made while the studio was closed) was dispatched
        # before this attach; without it those sales were never recorded.
        self._unsubscribe.append(client.subscribe(self.on_platform_event, replay=True))
        status = getattr(client, "status", None)
        if status is not None:
            self._unsubscribe.append(status.subscribe(
                lambda _name, payload: self.events.emit("platform_state", state=payload.get("state", ""))))
        self._spawn("clock", self._ping_loop())
        item = self.session.item
        if item is not None:
            self._spawn("item.show", client.show_item(item_show_payload(item)))

    def detach_client(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for task in list(self._tasks):
            if task.get_name() == "show-clock":
                task.cancel()
        self.client = None

    async def close(self) -> None:
        self.detach_client()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    def call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the controller's loop (from any other thread)."""
        if self._loop is None:
            raise RuntimeError("the controller has no loop yet (attach a platform client first)")
        self._loop.call_soon_threadsafe(fn, *args)

    async def sync_clock_once(self) -> float | None:
        """One ping: feed ClockSync with (sent, server_time, received). Returns the round trip."""
        client = self.client
        if client is None:
            return None
        sent = self.clock.local_clock()
        result = await client.command(p.Ping.TYPE)
        received = self.clock.local_clock()
        server_time = result.get("server_time")
        if not isinstance(server_time, int | float):
            return None
        self.clock.add_ping_sample(sent, float(server_time), received)
        self.events.emit("clock_synced", offset_s=self.clock.offset_s, rtt_s=self.clock.rtt_s)
        return received - sent

    async def _ping_loop(self) -> None:
        count = 0
        while self.client is not None:
            try:
                await self.sync_clock_once()
            except Exception as exc:  # a lost ping only delays the next correction
                log.debug("clock ping failed: %s", exc)
            count += 1
            await asyncio.sleep(0.2 if count < FIRST_PINGS else PING_EVERY_S)

    def _spawn(self, action: str, coro: Coroutine[Any, Any, Any],
               on_result: Callable[[Any], None] | None = None) -> asyncio.Task[Any]:
        """Run the network part of an action; its failure becomes an ``error`` event."""
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(coro, name=f"show-{action}")
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                log.warning("show action %s failed: %s", action, exc)
                self.events.emit("error", action=action, message=str(exc))
            elif on_result is not None:
                try:
                    on_result(t.result())
                except Exception as err:  # noqa: BLE001 - reported to the seller
                    log.exception("show action %s: result handling failed", action)
                    self.events.emit("error", action=action, message=str(err))

        task.add_done_callback(done)
        return task

    def _require_client(self) -> Any:
        if self.client is None:
            raise SellingError(tr_noop("not connected to the platform"))
        return self.client

    def _aid(self, platform_id: str) -> str:
        """Auction/giveaway ids are only unique within a platform show: key sales by both."""
        if not self.platform_show_id and self.client is not None:
            # Attached before connecting (to hear the replay too): the welcome has named the show by now.
            self.platform_show_id = getattr(self.client, "show_id", None) or ""
        return f"{self.platform_show_id}:{platform_id}" if self.platform_show_id else platform_id

    @staticmethod
    def platform_id(local_id: str) -> str:
        """The platform's own auction/giveaway id of a session id made by ``_aid``."""
        return local_id.split(":", 1)[1] if ":" in local_id else local_id

    # --- platform events -> state --------------------------------------------------------------------

    def on_platform_event(self, event: p.Event) -> None:
        """Called by PlatformClient on its loop for every event."""
        if not isinstance(event, _HANDLED):
            return
        if self._welcome_offset_s is not None and self.client is not None:
            offset_wall_s = float(getattr(self.client, "server_time_offset_s", 0.0))
            if offset_wall_s != self._welcome_offset_s and self.clock.rtt_s == math.inf:
                self.clock.set_from_welcome(time.time() + offset_wall_s, received_at=self.clock.local_clock())
            self._welcome_offset_s = None
        try:
            self._dispatch(event)
        except SellingError as err:
            self.events.emit("error", action=event.TYPE, message=str(err))

    def _dispatch(self, event: p.Event) -> None:
        s = self.session
        if isinstance(event, p.AuctionStarted | p.GiveawayStarted) and self._is_live(event.ends_at):
            self._follow_platform_item(event.item_id)
        if isinstance(event, p.ShowStarted):
            self._follow_platform_currency(event.currency)
            self.begin_show(event.started_at, platform_show_id=event.show_id)
        elif isinstance(event, p.ShowEnded):
            self.end_show_run(event.ended_at)
        elif isinstance(event, p.ChatMessage):
            entry = self.chat.append(event.msg_id, event.user, event.text, event.ts, event.badges, event.reply_to)
            if entry is not None:
                self.events.emit("chat_appended", count=1)
        elif isinstance(event, p.AuctionStarted):
            s.on_auction_started(self._aid(event.auction_id), item_id=event.item_id, ends_at=event.ends_at,
                                 starting_bid_cents=to_cents(event.starting_bid),
                                 is_sudden_death=event.sudden_death, counter_bid_s=event.counter_bid_s)
        elif isinstance(event, p.AuctionBid):
            s.on_bid(self._aid(event.auction_id), amount_cents=to_cents(event.amount), bidder=event.user,
                     ends_at=event.ends_at)
        elif isinstance(event, p.AuctionEnded):
            price_cents = to_cents(event.price) if event.price is not None else None
            s.on_auction_ended(self._aid(event.auction_id), winner=event.winner, price_cents=price_cents,
                               item_id=event.item_id or None)
            if event.winner:
                self._new_buyer(event.winner)
        elif isinstance(event, p.ListingOpened):
            s.on_listing_opened(event.item_id, price_cents=to_cents(event.price), quantity=event.quantity)
            self.events.emit("listing_opened", item_id=local_item_id(event.item_id), price_cents=to_cents(event.price),
                             quantity=event.quantity)
        elif isinstance(event, p.Sale):
            # The seq of the platform's sale event makes the purchase's id: a replay is not a second sale.
            s.on_purchase(buyer=event.buyer, price_cents=to_cents(event.price),
                          order_id=self._aid(f"sale-{event.seq}"), item_id=event.item_id)
            s.set_listing_left(event.item_id, event.quantity_left)
            self._new_buyer(event.buyer)
        elif isinstance(event, p.ListingSoldOut):
            s.set_listing_left(event.item_id, 0)  # the listing is closed (the stock may go on)
        elif isinstance(event, p.GiveawayStarted):
            s.on_giveaway_started(self._aid(event.giveaway_id), item_id=event.item_id, ends_at=event.ends_at)
        elif isinstance(event, p.GiveawayEntry):
            s.on_giveaway_entry(self._aid(event.giveaway_id), event.user)
        elif isinstance(event, p.GiveawayWinner):
            s.on_giveaway_ended(self._aid(event.giveaway_id), winner=event.user, item_id=event.item_id)
        elif isinstance(event, p.ChatDeleted):
            if self.chat.mark_deleted(event.msg_id) is not None:
                self.events.emit("chat_changed", msg_id=event.msg_id)
        elif isinstance(event, p.ChatPinned):
            self.chat.mark_pinned(event.msg_id)
            self.events.emit("chat_changed", msg_id=event.msg_id)
        elif isinstance(event, p.UserTimedOut):
            self.events.emit("user_moderated", user=event.user, action="timeout", until=event.until)
        elif isinstance(event, p.UserBanned):
            self.events.emit("user_moderated", user=event.user, action="ban")
        elif isinstance(event, p.Viewers):
            self.viewer_count = event.count
            run = self.show_run
            if run is not None and run.is_live and (run.peak_viewers is None or event.count > run.peak_viewers):
                run.peak_viewers = event.count
                self._save_show_run()
            self.events.emit("viewers", count=event.count)

    def _is_live(self, ends_at: float) -> bool:
        """Still running by the server clock (a replayed auction of an hour ago is history, not news)."""
        try:
            return to_epoch_s(ends_at) > self.clock.server_now()
        except (TypeError, ValueError):
            return False

    def _follow_platform_item(self, platform_item_id: str) -> None:
        """The platform started an auction or giveaway for an item that is not showing here (another
        device, a replay after a reconnect): Run of show moves to it, so both say the same."""
        try:
            item_id = local_item_id(platform_item_id)
        except ValueError:
            return
        if item_id == self.run.now_item_id or self.store.get_item(item_id) is None:
            return
        try:
            if item_id not in self.run.item_ids:
                self.run.add(item_id)
            self.run.show(self.run.item_ids.index(item_id))
        except SellingError as err:  # an auction of ours still runs: keep it, say why
            log.warning("platform item %s not followed: %s", platform_item_id, err)

    def _new_buyer(self, user: str) -> None:
        self.chat.add_buyer(user)
        self.events.emit("chat_changed", msg_id="")

    def _forward(self, name: str, payload: dict[str, Any]) -> None:
        self.events.emit(name, **payload)

    def _sync_session_to_run(self) -> None:
        item_id = self.run.now_item_id
        if item_id == (self.session.item.id if self.session.item else None):
            return
        try:
            self.session.set_item(item_id)
        except SellingError as err:  # the item was deleted since: nothing is showing
            log.warning("restoring the showing item: %s", err)
            self.run.show(None)

    def _on_run_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "queue_changed":
            self.events.emit("queue_changed", **payload)
            return
        if name != "now_showing_changed":
            return
        item_id = payload.get("item_id")
        self.session.set_item(item_id)
        self.events.emit("now_showing", index=payload.get("index"), item_id=item_id)
        item = self.session.item
        if item is not None and self.client is not None:
            self._spawn("item.show", self.client.show_item(item_show_payload(item)))

    # --- run of show ---------------------------------------------------------------------------------

    def next_item(self) -> Item | None:
        """Next in the queue (skipping sold items) becomes now showing. SellingError, with what to do,
        while an auction runs, with an empty queue and at the end of the queue."""
        before = self.run.now_item_id
        self._check_queue()
        item = self.run.next()
        if item is None or item.id == before:
            raise SellingError(self.empty_hint() or tr_noop("That was the last item to sell in tonight's queue: "
                                                            "add or import more, or go back with Previous."))
        return item

    def previous_item(self) -> Item | None:
        before = self.run.now_item_id
        self._check_queue()
        item = self.run.previous()
        if item is None or item.id == before:
            raise SellingError(tr_noop("This is the first item in tonight's queue."))
        return item

    def _check_queue(self) -> None:
        hint = self.empty_hint()
        if hint is not None and not self.run.item_ids:
            raise SellingError(hint)

    def empty_hint(self) -> str | None:
        """What to do when there is nothing to sell, in words; None when the queue has items."""
        if self.run.item_ids:
            if all(item.status not in SELLABLE for item in self.run.items()):
                return tr_noop("Everything in tonight's queue is sold: import a CSV or add an item (Run of show tab).")
            return None
        if self.store.count_items() == 0:
            return tr_noop("No items yet: import a CSV or add an item (Run of show tab).")
        return tr_noop("Tonight's queue is empty: press \"Queue all available\" (Run of show tab) or import a CSV.")

    def show_index(self, index: int | None) -> Item | None:
        return self.run.show(index)

    def import_csv(self, path: Path | str, *, add_to_queue: bool = True) -> ImportResult:
        """Import a bulk-listing CSV; new sellable items join the end of tonight's queue."""
        result = import_csv(self.store, path)
        if add_to_queue:
            self.queue_new_items()
        return result

    def add_item(self, item: Item) -> Item:
        """An item added by hand joins the inventory and the end of tonight's queue (ValueError with
        a sentence when it cannot be listed)."""
        added = self.store.add_item(item)
        if added.id is not None:
            self.run.add(added.id)
        return added

    def queue_new_items(self) -> None:
        """Sellable items not yet in tonight's queue join its end (after an import)."""
        queued = set(self.run.item_ids)
        for item in self.store.list_items(status=("available", "unsold")):
            if item.id is not None and item.id not in queued:
                self.run.add(item.id)

    def export_sales(self, path: Path | str, *, all_shows: bool = False) -> int:
        """Write this show's sales (or every show's) to a CSV; returns how many."""
        return write_sales(path, self.all_sales() if all_shows else self.sales())

    def sales(self) -> list[Sale]:
        """This show's sales (since the platform's show.started; kept across a restart)."""
        return this_show_sales(self.store.list_sales(self.show_id), self.show_run.started_at if self.show_run else None)

    def all_sales(self) -> list[Sale]:
        """Every show's sales, oldest first."""
        return self.store.list_sales(None)

    # --- the show run (go-live to end) and its recap ----------------------------------------------------

    def _show_run_key(self) -> str:
        return f"show_run:{self.show_id}"

    def _load_show_run(self) -> ShowRun | None:
        raw = self.load_setting(self._show_run_key())
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return ShowRun(float(data["started_at"]), None if data.get("ended_at") is None else float(data["ended_at"]),
                           data.get("peak_viewers"), str(data.get("platform_show_id") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("show run record unreadable (%s); starting without one", exc)
            return None

    def _save_show_run(self) -> None:
        if self.show_run is not None:
            self.store_setting(self._show_run_key(), json.dumps(asdict(self.show_run)))

    def begin_show(self, started_at: float | None = None, *, platform_show_id: str = "") -> ShowRun:
        """A show starts (the platform's show.started). A replay of the same start keeps the run."""
        run = self.show_run
        if run is not None and run.is_live and (not platform_show_id or run.platform_show_id == platform_show_id):
            return run
        started = float(started_at) if started_at is not None else self.clock.server_now()
        self.show_run = ShowRun(started, None, self.viewer_count, platform_show_id)
        self.session.show_started_at = started
        self._save_show_run()
        self.events.emit("show_started", started_at=started)
        return self.show_run

    def end_show_run(self, ended_at: float | None = None) -> ShowRun | None:
        """The show ended (show.ended, or End Show without a platform). Idempotent."""
        run = self.show_run
        if run is None or not run.is_live:
            return run
        run.ended_at = float(ended_at) if ended_at is not None else self.clock.server_now()
        self._save_show_run()
        self.events.emit("show_ended", ended_at=run.ended_at)
        return run

    def end_show_warning(self) -> str | None:
        """What ending the stream now would cut short, in words (for End Show's question)."""
        s = self.session
        if s.is_auction_running:
            return tr_noop("An auction is still running: viewers will not see how it ends (the platform finishes it).")
        if s.giveaway is not None and not s.giveaway.is_closed:
            return tr_noop("A giveaway is still open: viewers will not see the winner drawn.")
        return None

    def recap(self, stats: Mapping[str, Any] | Any | None = None, *, live_s: float | None = None) -> ShowRecap:
        """The End Show recap: ends the run if the platform has not yet. ``live_s`` (the window's own
        live time) stands in for the duration when no platform show was started."""
        run = self.end_show_run()
        if run is not None and run.ended_at is not None and self.clock.server_now() - run.ended_at < 120:
            duration_s = run.ended_at - run.started_at
            peak = run.peak_viewers
        else:
            duration_s, peak = live_s or 0.0, self.viewer_count
        return compute_recap(self.sales(), duration_s=duration_s, peak_viewers=peak, stats=stats,
                             currency=self.currency)

    # --- selling -------------------------------------------------------------------------------------

    def start_auction(self, preset: AuctionPreset | int = 0) -> asyncio.Task[Any]:
        """Auction the showing item with a preset (index into ``presets`` or a preset)."""
        chosen = self.presets[preset] if isinstance(preset, int) else preset
        request = self.session.auction_request(chosen)
        client = self._require_client()
        self.last_preset = chosen

        def started(ack: dict[str, Any]) -> None:
            # The ack arrives before the auction.started event: show the clock at once (idempotent).
            self.session.on_auction_started(
                self._aid(str(ack["auction_id"])), item_id=request["item_id"], ends_at=ack["ends_at"],
                starting_bid_cents=to_cents(request["starting_bid"]),
                is_sudden_death=request["sudden_death"], counter_bid_s=request["counter_bid_s"])

        return self._spawn("auction.start", client.start_auction(**request), started)

    def run_it_back(self, preset: AuctionPreset | int | None = None) -> asyncio.Task[Any]:
        """An unsold auction goes again (same preset unless another is given)."""
        self.session.run_it_back()
        return self.start_auction(preset if preset is not None else (self.last_preset or 0))

    def open_buy_now(self, quantity: int | None = None) -> asyncio.Task[Any]:
        request = self.session.buy_now_request(quantity)
        client = self._require_client()
        return self._spawn("listing.buy_now", client.buy_now(**request))

    def start_giveaway(self, duration_s: float | None = None) -> asyncio.Task[Any]:
        request = self.session.giveaway_request(duration_s or self.giveaway_duration_s)
        client = self._require_client()
        return self._spawn("giveaway.start", client.start_giveaway(**request))

    def draw_giveaway_now(self) -> asyncio.Task[Any]:
        g = self.session.giveaway
        if g is None or g.is_closed:
            raise SellingError(tr_noop("no giveaway is open"))
        client = self._require_client()
        return self._spawn("giveaway.draw", client.draw_giveaway(self.platform_id(g.giveaway_id)))

    def product_card(self, now: float | None = None) -> ProductCard | None:
        return self.session.product_card(now)

    def countdown_s(self, now: float | None = None) -> float | None:
        """Seconds left of the running auction (or open giveaway) by the corrected server clock."""
        s = self.session
        if s.is_auction_running and s.auction is not None:
            return s.auction.countdown.remaining_s(now)
        if s.giveaway is not None and not s.giveaway.is_closed:
            return s.giveaway.countdown.remaining_s(now)
        return None

    # --- chat ----------------------------------------------------------------------------------------

    def send_chat(self, text: str, reply_to: str | None = None) -> asyncio.Task[Any]:
        text = text.strip()
        if not text:
            raise SellingError(tr_noop("type a message first"))
        if len(text) > 500:
            raise SellingError(tr_noop("chat messages are up to 500 characters"))
        return self._spawn("chat.send", self._require_client().send_chat(text, reply_to))

    def reply(self, msg_id: str, text: str) -> asyncio.Task[Any]:
        """Reply to a message: "@user text", threaded to it."""
        entry = self.chat.get(msg_id)
        if entry is None:
            raise SellingError(tr_noop("that message is no longer in the chat"))
        mention = f"@{entry.user}"
        body = text if text.lstrip().startswith(mention) else f"{mention} {text}"
        return self.send_chat(body, reply_to=msg_id)

    def send_quick_reply(self, index: int, *, reply_to_msg_id: str | None = None) -> asyncio.Task[Any]:
        entry = self.chat.get(reply_to_msg_id) if reply_to_msg_id else None
        text = self.quick_replies.render(index, item=self.session.item, user=None, currency=self.currency)
        if entry is not None:
            return self.reply(entry.msg_id, text)
        return self.send_chat(text)

    def pin(self, msg_id: str) -> asyncio.Task[Any]:
        return self._spawn("chat.pin", self._require_client().pin_chat(msg_id))

    def delete(self, msg_id: str) -> asyncio.Task[Any]:
        return self._spawn("chat.delete", self._require_client().delete_chat(msg_id))

    def timeout_user(self, user: str, seconds: int = DEFAULT_TIMEOUT_S) -> asyncio.Task[Any]:
        return self._spawn("user.timeout", self._require_client().timeout_user(user, seconds))

    def ban_user(self, user: str) -> asyncio.Task[Any]:
        return self._spawn("user.ban", self._require_client().ban_user(user))

    def set_filter_words(self, words: list[str]) -> None:
        self.chat.set_filter_words(words)
        self.store_setting("chat_filter_words", "\n".join(self.chat.filter_words))
        self.events.emit("chat_changed", msg_id="")

    def store_setting(self, key: str, value: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def load_setting(self, key: str) -> str | None:
        with self.store.transaction() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def restore_filter_words(self) -> None:
        saved = self.load_setting("chat_filter_words")
        if saved:
            self.chat.set_filter_words(saved.split("\n"))
