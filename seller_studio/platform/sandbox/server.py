"""The sandbox platform: an authoritative protocol v1 server (docs/protocol.md).

Everything runs on one asyncio loop and every command is handled synchronously between awaits, so
the show state never sees two commands interleaved: of two racing `auction.start` commands exactly
one wins. Events are appended to the history and queued to every subscribed connection in the same
synchronous step, which is what makes resume gap-free and duplicate-free.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import logging
import random
import secrets
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from seller_studio.platform import protocol as p
from seller_studio.platform import rules
from seller_studio.platform.protocol import Envelope, ErrorCode, ProtocolError
from seller_studio.platform.rules import to_cents, to_dollars
from seller_studio.platform.sandbox.auction import Auction, AuctionEngine, AuctionError
from seller_studio.platform.sandbox.viewers import (
    BidAction,
    BuyAction,
    ChatAction,
    EntryAction,
    SimView,
    ViewerCountAction,
    ViewerSim,
)

log = logging.getLogger(__name__)

HOST_USER = "seller"
IDEMPOTENCY_CACHE_SIZE = 10_000
OUTBOUND_QUEUE_LIMIT = 50_000  # a client this far behind is dropped; it can resume
STOP_GRACE_S = 1.5  # stopping gives clients this long to close, then cuts them


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port
    token: str | None = None  # None: generate one
    show_id: str | None = None
    currency: str = "USD"  # the show's ISO 4217 currency until a show.start names another
    seed: int = 0
    simulate_viewers: bool = True
    chat_per_min: float = 20.0
    bid_per_min: float = 12.0
    buy_per_min: float = 4.0
    entry_per_min: float = 30.0
    sim_tick_s: float = 0.25
    timer_tick_s: float = 0.05
    max_message_bytes: int = p.MAX_MESSAGE_BYTES
    rate_per_s: float = p.RATE_LIMIT_PER_S
    rate_burst: int = p.RATE_LIMIT_BURST
    history_limit: int = 100_000
    clock: Callable[[], float] = time.time
    ssl_context: ssl.SSLContext | None = None


class _Close:
    def __init__(self, code: int, reason: str):
        self.code, self.reason = code, reason


@dataclass(eq=False)  # identity: kept in a set
class _Conn:
    ws: ServerConnection
    rate_per_s: float
    rate_burst: int
    # Unbounded: ``send_text`` closes the connection once OUTBOUND_QUEUE_LIMIT frames wait, and the close
    # goes out *after* them, so the client processed a gap-free prefix and resumes right behind it.
    queue: asyncio.Queue[str | _Close] = field(default_factory=asyncio.Queue)
    is_authed: bool = False
    is_closing: bool = False
    writer: asyncio.Task | None = None
    tokens: float = 0.0
    refilled_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.rate_burst)

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate_burst, self.tokens + (now - self.refilled_at) * self.rate_per_s)
        self.refilled_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def send(self, env: Envelope) -> None:
        self.send_text(p.encode(env))

    def send_text(self, text: str) -> None:
        if self.is_closing:
            return
        if self.queue.qsize() >= OUTBOUND_QUEUE_LIMIT:
            # Nothing queued is dropped (a dropped frame would be a gap the client never hears of): it
            # gets what waits, then the close, and resumes from there with everything after it.
            log.warning("closing a client that is %d events behind; it will resume", OUTBOUND_QUEUE_LIMIT)
            self.close(p.CLOSE_SLOW_CONSUMER, "too far behind; reconnect and resume")
            return
        try:
            self.queue.put_nowait(text)
        except Exception:
            # Whatever goes wrong with one client's queue stays with that client.
            log.exception("could not queue a frame for a client; closing it")
            self.close(1011, "server error on this connection")

    def close(self, code: int, reason: str) -> None:
        if self.is_closing:
            return
        self.is_closing = True
        self.queue.put_nowait(_Close(code, reason))  # unbounded: the close always gets queued


@dataclass
class _Listing:
    item_id: str
    price_cents: int
    quantity_left: int


@dataclass
class _Giveaway:
    giveaway_id: str
    item_id: str
    ends_at: float
    entrants: list[str] = field(default_factory=list)


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig()
        self.token = self.config.token or secrets.token_urlsafe(18)
        # Unique per sandbox run: auction ids restart at a1 each run, and the studio keys sales by
        # show id + auction id, so two demo runs on one day must not look like the same show.
        self.show_id = self.config.show_id or f"show-{self.config.seed}-{time.time_ns() // 1_000_000}"
        self.currency = rules.normal_currency(self.config.currency)
        self.clock = self.config.clock
        # Bid errors name the minimum in the show's currency, like the money limits ("$32.00", "NOK 32.00").
        self.engine = AuctionEngine(self.clock, lambda cents: rules.format_wire_money(cents, self.currency))
        self.sim = ViewerSim(seed=self.config.seed, chat_per_min=self.config.chat_per_min,
                             bid_per_min=self.config.bid_per_min, buy_per_min=self.config.buy_per_min,
                             entry_per_min=self.config.entry_per_min)
        self._rng = random.Random(self.config.seed + 1)  # giveaway draws: also repeatable
        self.history: list[tuple[int, str]] = []  # (seq, encoded frame)
        self.seq = 0
        self.is_live = False
        self.has_ended = False
        self.listings: dict[str, _Listing] = {}
        self.giveaway: _Giveaway | None = None
        self.banned: set[str] = set()
        self.timed_out_until: dict[str, float] = {}
        self.chat_ids: set[str] = set()
        self._answers: OrderedDict[str, Envelope] = OrderedDict()
        self._conns: set[_Conn] = set()
        self._msg_ids = itertools.count(1)
        self._giveaway_ids = itertools.count(1)
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self.commands_handled = 0
        self.ack_delay_s = 0.0  # fault injection (--simulate delayed-acks): answers go out this late

    # --- lifecycle ---

    @property
    def url(self) -> str:
        scheme = "wss" if self.config.ssl_context else "ws"
        return f"{scheme}://{self.config.host}:{self.port}/v1"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await serve(
            self._handle, self.config.host, self.config.port, max_size=p.HARD_MAX_FRAME_BYTES,
            compression=None, ssl=self.config.ssl_context, ping_interval=20, ping_timeout=20,
            process_request=_only_v1,
            # Stopping waits this long per client for its closing handshake: a studio that is itself
            # quitting never answers, and 10 s (the default) held up its exit.
            close_timeout=1,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks.append(asyncio.create_task(self._timer_loop(), name="sandbox-timer"))
        if self.config.simulate_viewers:
            self._tasks.append(asyncio.create_task(self._sim_loop(), name="sandbox-viewers"))
        log.info("sandbox platform listening on %s", self.url)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()
        if self._server is not None:
            self._server.close()
            try:
                await asyncio.wait_for(asyncio.shield(self._server.wait_closed()), STOP_GRACE_S)
            except TimeoutError:
                # A client that stopped reading (a studio that is itself quitting) can hold a send or
                # the closing handshake forever: stopping must not wait on it.
                log.info("sandbox stop: cutting %d client(s) that did not close", len(self._conns))
                for conn in list(self._conns):
                    conn.ws.transport.abort()
                    if conn.writer is not None:
                        conn.writer.cancel()
                try:
                    await asyncio.wait_for(self._server.wait_closed(), STOP_GRACE_S)
                except TimeoutError:
                    log.warning("sandbox stop: client handlers still running; leaving them")
            self._server = None

    async def drop_connections(self) -> None:
        """Cut every client connection abruptly (tests and support: a network drop)."""
        for conn in list(self._conns):
            conn.ws.transport.abort()

    # --- events ---

    def publish(self, mtype: str, data: dict[str, Any]) -> int:
        """Append an event to the history and queue it to every subscribed connection. Loop thread only.

        Raises ProtocolError (bad_message) and publishes nothing if the event cannot be sent as
        UTF-8 JSON: what enters the history must replay to every client, forever."""
        text = p.encode(Envelope(type=mtype, seq=self.seq + 1, data=data))
        if not p.is_utf8_text(text):
            field_name = p.find_bad_text(data, "data") or "data"
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"`{field_name}` is not valid Unicode text")
        self.seq += 1
        self.history.append((self.seq, text))
        if len(self.history) > self.config.history_limit:
            del self.history[: len(self.history) - self.config.history_limit]
        for conn in list(self._conns):
            if conn.is_authed:
                conn.send_text(text)  # never raises: one client's trouble is not the others'
        return self.seq

    def publish_threadsafe(self, mtype: str, data: dict[str, Any]) -> None:
        """For the ingest thread: hand the event to the loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.publish, mtype, data)

    def publish_event(self, event: p.Event) -> int:
        return self.publish(event.TYPE, event.to_data())

    # --- connections ---

    async def _handle(self, ws: ServerConnection) -> None:
        conn = _Conn(ws, self.config.rate_per_s, self.config.rate_burst)
        self._conns.add(conn)
        writer = conn.writer = asyncio.create_task(self._writer(conn))
        try:
            async for raw in ws:
                try:
                    self._on_frame(conn, raw)
                except Exception:
                    # A sandbox bug on one frame must not end the connection (or anyone else's).
                    log.exception("sandbox bug while reading a frame")
                    conn.send(p.error_envelope(ErrorCode.INTERNAL, "the platform failed on this message",
                                               _peek_id(raw)))
                if conn.is_closing:
                    break
            if conn.is_closing:
                await asyncio.wait([writer])  # let the final error and close frame go out (or stop cut it)
        except ConnectionClosed:
            pass
        finally:
            self._conns.discard(conn)
            writer.cancel()

    async def _writer(self, conn: _Conn) -> None:
        try:
            while True:
                item = await conn.queue.get()
                if isinstance(item, _Close):
                    await conn.ws.close(item.code, item.reason)
                    return
                await conn.ws.send(item)
        except ConnectionClosed:
            pass
        except Exception:
            # A frame this connection cannot send ends this connection only; the client resumes.
            log.exception("sending to a client failed; closing that connection")
            conn.is_closing = True
            with contextlib.suppress(Exception):
                await conn.ws.close(1011, "server error on this connection")

    def _on_frame(self, conn: _Conn, raw: str | bytes) -> None:
        if not conn.allow():
            # Answer with the id if we can cheaply find it, so the client's command fails fast.
            conn.send(p.error_envelope(ErrorCode.RATE_LIMITED, "too many messages; slow down", _peek_id(raw)))
            return
        try:
            env = p.decode(raw, self.config.max_message_bytes)
        except ProtocolError as err:
            log.info("rejected a frame: %s", err.code)
            # Answered with the command's id when it can be read, so the sender's command fails at once
            # instead of waiting for its timeout (a too_large frame is at most 1 MiB: the socket's limit).
            mid = _peek_id(raw, p.HARD_MAX_FRAME_BYTES) if err.code in (ErrorCode.BAD_MESSAGE, ErrorCode.TOO_LARGE) \
                else None
            conn.send(p.error_envelope(err.code, err.message, mid))
            return
        if env.type == p.Hello.TYPE:
            if env.id is None:  # a command like any other: no id, no welcome (docs/protocol.md)
                conn.send(p.error_envelope(ErrorCode.BAD_MESSAGE,
                                           f"hello: `id` is required (a string of 1-{p.MAX_ID_CHARS} characters)"))
                return
            self._on_hello(conn, env)
            return
        if not conn.is_authed:
            if env.id is None and env.type not in p.COMMANDS:
                log.info("ignored a %r message without id before hello", env.type[:40])  # not a command
                return
            conn.send(p.error_envelope(ErrorCode.NOT_AUTHENTICATED, "send hello with your token first", env.id))
            return
        if env.id is None:
            if env.type in p.COMMANDS:
                # A command without an id could never be matched to its answer: say so instead of ignoring it.
                conn.send(p.error_envelope(ErrorCode.BAD_MESSAGE,
                                           f"{env.type}: `id` is required (a string of 1-{p.MAX_ID_CHARS} characters)"))
                return
            # Not a command (the server expects no events from clients): ignored for forward compatibility.
            log.info("ignored a %r message without id", env.type[:40])
            return
        cached = self._answers.get(env.id)
        if cached is not None:
            self._send_answer(conn, cached)  # idempotent re-send: the same answer, no second effect
            return
        answer = self._run_command(env)
        if answer.data.get("code") != ErrorCode.RATE_LIMITED:
            self._answers[env.id] = answer
            if len(self._answers) > IDEMPOTENCY_CACHE_SIZE:
                self._answers.popitem(last=False)
        self._send_answer(conn, answer)

    def _send_answer(self, conn: _Conn, answer: Envelope) -> None:
        if self.ack_delay_s > 0 and self._loop is not None:
            # The command took effect now; only its answer is late, as on an overloaded platform.
            self._loop.call_later(self.ack_delay_s, conn.send, answer)
        else:
            conn.send(answer)

    def _on_hello(self, conn: _Conn, env: Envelope) -> None:
        try:
            hello = p.Hello.from_data(env.data)
        except ProtocolError as err:
            conn.send(p.error_envelope(err.code, err.message, env.id))
            return
        if hello.protocol != p.PROTOCOL_VERSION:
            conn.send(p.error_envelope(ErrorCode.BAD_MESSAGE,
                                       f"this platform speaks protocol {p.PROTOCOL_VERSION}, not {hello.protocol[:20]!r}",
                                       env.id))
            conn.close(p.CLOSE_PROTOCOL_MISMATCH, "protocol version mismatch")
            return
        if not hmac.compare_digest(hello.token.encode(), self.token.encode()):
            log.warning("refused a connection: wrong platform token")
            conn.send(p.error_envelope(ErrorCode.UNAUTHORIZED, "the platform refused the token; check it", env.id))
            conn.close(p.CLOSE_UNAUTHORIZED, "wrong token")
            return
        if conn.is_authed:
            conn.send(p.error_envelope(ErrorCode.BAD_MESSAGE, "hello was already accepted on this connection", env.id))
            return
        oldest = self.history[0][0] if self.history else self.seq + 1
        start_after = hello.resume_from
        if start_after > self.seq or start_after < oldest - 1:
            # Another show's position, or older than what we keep: replay what we have and say so.
            log.info("resume_from %d not in history (%d..%d); replaying all kept events",
                     start_after, oldest - 1, self.seq)
            start_after = oldest - 1
        # No await between here and marking the connection authed: no event can slip in between.
        conn.send(Envelope(type="welcome", id=env.id, data={
            "show_id": self.show_id, "server_time": self.clock(), "protocol": p.PROTOCOL_VERSION,
            "last_seq": self.seq, "resume_from": start_after, "currency": self.currency,
        }))
        first = start_after - (oldest - 1)
        for _, text in self.history[first:]:
            conn.send_text(text)
        conn.is_authed = True

    # --- commands ---

    def _run_command(self, env: Envelope) -> Envelope:
        cls = p.COMMANDS.get(env.type)
        handler = self._handlers.get(env.type) if cls else None
        if cls is None or handler is None:
            log.info("unknown command type %r answered with unknown_type", env.type[:40])
            return p.error_envelope(ErrorCode.UNKNOWN_TYPE, f"unknown command type {env.type[:40]!r}", env.id)
        try:
            cmd = cls.from_data(env.data, currency=self.currency)
            result = handler(self, cmd)
        except (ProtocolError, AuctionError) as err:
            return p.error_envelope(err.code, err.message, env.id)
        except Exception:
            log.exception("sandbox bug while handling %s", env.type)
            return p.error_envelope(ErrorCode.INTERNAL, "the platform failed on this command", env.id)
        self.commands_handled += 1
        if env.type == p.Ping.TYPE:
            return Envelope(type="pong", id=env.id, data=result)
        return Envelope(type="ack", id=env.id, data=result)

    def _require_selling(self) -> None:
        if self.has_ended:
            raise ProtocolError(ErrorCode.SHOW_NOT_LIVE, "the show has ended")

    def _require_user_ok(self, user: str) -> None:
        if user in self.banned:
            raise ProtocolError(ErrorCode.BANNED, f"{user} is banned from this show")
        if self.timed_out_until.get(user, 0) > self.clock():
            raise ProtocolError(ErrorCode.BANNED, f"{user} is timed out")

    def _cmd_ping(self, cmd: p.Ping) -> dict[str, Any]:
        return {"server_time": self.clock()}

    def _cmd_show_start(self, cmd: p.ShowStart) -> dict[str, Any]:
        if not self.is_live:
            self.currency = cmd.currency or self.currency
            self.is_live, self.has_ended = True, False
            self.publish_event(p.ShowStarted(show_id=self.show_id, started_at=self.clock(), title=cmd.title,
                                             currency=self.currency))
        elif cmd.currency is not None and cmd.currency != self.currency:
            # Prices already on the wire were in the running show's currency: never re-label them.
            raise ProtocolError(ErrorCode.BAD_MESSAGE,
                                f"show.start: the show is already live in {self.currency}; end it to change currency")
        return {"show_id": self.show_id}

    def _cmd_show_end(self, cmd: p.ShowEnd) -> dict[str, Any]:
        self._report_ended_auctions()  # an auction whose clock ran out has ended, tick or not
        if self.engine.running is not None:
            raise ProtocolError(ErrorCode.AUCTION_RUNNING, "an auction is still running; end the show after it")
        if self.is_live:
            self.is_live, self.has_ended = False, True
            self.publish_event(p.ShowEnded(show_id=self.show_id, ended_at=self.clock()))
        return {"show_id": self.show_id}

    def _cmd_item_show(self, cmd: p.ItemShow) -> dict[str, Any]:
        self.publish_event(p.ItemShown(item=cmd.item))
        return {}

    def _cmd_chat_send(self, cmd: p.ChatSend) -> dict[str, Any]:
        msg_id = self._chat(HOST_USER, cmd.text, ["host"], cmd.reply_to)
        return {"msg_id": msg_id}

    def _chat(self, user: str, text: str, badges: list[str], reply_to: str | None = None) -> str:
        msg_id = f"m{next(self._msg_ids)}"
        self.chat_ids.add(msg_id)
        self.publish_event(p.ChatMessage(msg_id=msg_id, user=user, text=text, ts=self.clock(), badges=badges,
                                         reply_to=reply_to))
        return msg_id

    def _cmd_chat_pin(self, cmd: p.ChatPin) -> dict[str, Any]:
        self._require_msg(cmd.msg_id)
        self.publish_event(p.ChatPinned(msg_id=cmd.msg_id))
        return {}

    def _cmd_chat_delete(self, cmd: p.ChatDelete) -> dict[str, Any]:
        self._require_msg(cmd.msg_id)
        self.chat_ids.discard(cmd.msg_id)
        self.publish_event(p.ChatDeleted(msg_id=cmd.msg_id))
        return {}

    def _require_msg(self, msg_id: str) -> None:
        if msg_id not in self.chat_ids:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no chat message {msg_id[:40]!r}")

    def _cmd_user_timeout(self, cmd: p.UserTimeout) -> dict[str, Any]:
        until = self.clock() + cmd.seconds
        self.timed_out_until[cmd.user] = until
        self.publish_event(p.UserTimedOut(user=cmd.user, until=until))
        return {"until": until}

    def _cmd_user_ban(self, cmd: p.UserBan) -> dict[str, Any]:
        self.banned.add(cmd.user)
        self.publish_event(p.UserBanned(user=cmd.user))
        return {}

    def _cmd_auction_start(self, cmd: p.AuctionStart) -> dict[str, Any]:
        self._require_selling()
        self._report_ended_auctions()
        a = self.engine.start(cmd.item_id, to_cents(cmd.starting_bid), cmd.duration_s, cmd.counter_bid_s,
                              cmd.sudden_death)
        self.publish_event(p.AuctionStarted(auction_id=a.auction_id, item_id=a.item_id, ends_at=a.ends_at,
                                            starting_bid=to_dollars(a.starting_bid_cents),
                                            counter_bid_s=a.counter_bid_s, sudden_death=a.sudden_death))
        return {"auction_id": a.auction_id, "ends_at": a.ends_at}

    def _cmd_auction_cancel(self, cmd: p.AuctionCancel) -> dict[str, Any]:
        self._report_ended_auctions()
        self.engine.cancel(cmd.auction_id)  # always raises: running ones cannot be cancelled
        return {}

    def _cmd_auction_place_bid(self, cmd: p.AuctionPlaceBid) -> dict[str, Any]:
        self._require_user_ok(cmd.user)
        self._report_ended_auctions()
        max_cents = to_cents(cmd.max_amount) if cmd.max_amount is not None else None
        bids = self.engine.bid(cmd.auction_id, cmd.user, to_cents(cmd.amount), max_cents)
        for b in bids:
            self.publish_event(p.AuctionBid(auction_id=cmd.auction_id, user=b.user, amount=to_dollars(b.amount_cents),
                                            ends_at=b.ends_at, next_min_bid=to_dollars(b.next_min_cents),
                                            is_proxy=b.is_proxy))
        auction = self.engine.auctions[cmd.auction_id]
        return {"leader": auction.leader, "price": to_dollars(auction.price_cents), "ends_at": auction.ends_at}

    def _cmd_listing_buy_now(self, cmd: p.ListingBuyNow) -> dict[str, Any]:
        self._require_selling()
        self.listings[cmd.item_id] = _Listing(cmd.item_id, to_cents(cmd.price), cmd.quantity)
        self.publish_event(p.ListingOpened(item_id=cmd.item_id, price=to_dollars(to_cents(cmd.price)),
                                           quantity=cmd.quantity))
        return {"item_id": cmd.item_id}

    def _cmd_listing_purchase(self, cmd: p.ListingPurchase) -> dict[str, Any]:
        self._require_selling()  # nothing is sold after show.end (no sale after the recap)
        self._require_user_ok(cmd.buyer)
        listing = self.listings.get(cmd.item_id)
        if listing is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no buy-now listing for {cmd.item_id[:40]!r}")
        if listing.quantity_left <= 0:
            raise ProtocolError(ErrorCode.SOLD_OUT, f"{cmd.item_id[:40]} is sold out")
        listing.quantity_left -= 1
        self.publish_event(p.Sale(item_id=listing.item_id, buyer=cmd.buyer, price=to_dollars(listing.price_cents),
                                  quantity_left=listing.quantity_left))
        if listing.quantity_left == 0:
            # Kept at 0 so a late buyer hears `sold_out`, not `not_found`; listing.buy_now reopens it.
            self.publish_event(p.ListingSoldOut(item_id=listing.item_id))
        return {"quantity_left": listing.quantity_left}

    def _cmd_giveaway_start(self, cmd: p.GiveawayStart) -> dict[str, Any]:
        self._require_selling()
        self._draw_expired_giveaway()
        if self.giveaway is not None:
            raise ProtocolError(ErrorCode.GIVEAWAY_RUNNING, f"giveaway {self.giveaway.giveaway_id} is still open")
        g = _Giveaway(f"g{next(self._giveaway_ids)}", cmd.item_id, self.clock() + cmd.duration_s)
        self.giveaway = g
        self.publish_event(p.GiveawayStarted(giveaway_id=g.giveaway_id, item_id=g.item_id, ends_at=g.ends_at))
        return {"giveaway_id": g.giveaway_id, "ends_at": g.ends_at}

    def _cmd_giveaway_enter(self, cmd: p.GiveawayEnter) -> dict[str, Any]:
        self._require_selling()
        self._require_user_ok(cmd.user)
        g = self._open_giveaway(cmd.giveaway_id)
        if cmd.user not in g.entrants:  # one entry per viewer
            g.entrants.append(cmd.user)
            self.publish_event(p.GiveawayEntry(giveaway_id=g.giveaway_id, user=cmd.user, entries=len(g.entrants)))
        return {"entries": len(g.entrants)}

    def _cmd_giveaway_draw(self, cmd: p.GiveawayDraw) -> dict[str, Any]:
        g = self._open_giveaway(cmd.giveaway_id)
        winner = self._draw(g)
        return {"user": winner}

    def _open_giveaway(self, giveaway_id: str) -> _Giveaway:
        self._draw_expired_giveaway()  # an entry or a draw after ends_at is too late, tick or not
        g = self.giveaway
        if g is None or g.giveaway_id != giveaway_id:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no open giveaway {giveaway_id[:40]!r}")
        return g

    def _draw(self, g: _Giveaway) -> str | None:
        winner = self._rng.choice(g.entrants) if g.entrants else None
        self.giveaway = None
        self.publish_event(p.GiveawayWinner(giveaway_id=g.giveaway_id, item_id=g.item_id, user=winner))
        return winner

    _handlers: dict[str, Callable[[SandboxServer, Any], dict[str, Any]]] = {
        p.Ping.TYPE: _cmd_ping,
        p.ShowStart.TYPE: _cmd_show_start,
        p.ShowEnd.TYPE: _cmd_show_end,
        p.ItemShow.TYPE: _cmd_item_show,
        p.ChatSend.TYPE: _cmd_chat_send,
        p.ChatPin.TYPE: _cmd_chat_pin,
        p.ChatDelete.TYPE: _cmd_chat_delete,
        p.UserTimeout.TYPE: _cmd_user_timeout,
        p.UserBan.TYPE: _cmd_user_ban,
        p.AuctionStart.TYPE: _cmd_auction_start,
        p.AuctionCancel.TYPE: _cmd_auction_cancel,
        p.AuctionPlaceBid.TYPE: _cmd_auction_place_bid,
        p.ListingBuyNow.TYPE: _cmd_listing_buy_now,
        p.ListingPurchase.TYPE: _cmd_listing_purchase,
        p.GiveawayStart.TYPE: _cmd_giveaway_start,
        p.GiveawayEnter.TYPE: _cmd_giveaway_enter,
        p.GiveawayDraw.TYPE: _cmd_giveaway_draw,
    }

    # --- clocks ---

    def _report_ended_auctions(self) -> None:
        for a in self.engine.tick():
            self._publish_ended(a)

    def _publish_ended(self, a: Auction) -> None:
        if a.leader is None:
            self.publish_event(p.AuctionEnded(auction_id=a.auction_id, item_id=a.item_id))
        else:
            self.publish_event(p.AuctionEnded(auction_id=a.auction_id, item_id=a.item_id, winner=a.leader,
                                              price=to_dollars(a.price_cents)))

    def _draw_expired_giveaway(self) -> None:
        g = self.giveaway
        if g is not None and self.clock() >= g.ends_at:
            self._draw(g)

    def tick(self) -> None:
        """Run the clocks once: end auctions and giveaways whose time is up."""
        self._report_ended_auctions()
        self._draw_expired_giveaway()

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.timer_tick_s)
            try:
                self.tick()
            except Exception:
                log.exception("sandbox timer failed")

    async def _sim_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.sim_tick_s)
            try:
                self.sim_step(self.config.sim_tick_s)
            except Exception:
                log.exception("viewer simulation failed")

    def sim_step(self, dt_s: float) -> None:
        """One step of the simulated viewers against the current show state."""
        self.tick()
        running = self.engine.running
        view = SimView(
            auction_id=running.auction_id if running else None,
            auction_next_min_cents=running.next_min_cents if running else 0,
            buy_now_item_ids=tuple(sorted(i for i, listing in self.listings.items() if listing.quantity_left > 0)),
            giveaway_id=self.giveaway.giveaway_id if self.giveaway else None,
        )
        for action in self.sim.step(dt_s, view):
            try:
                if isinstance(action, ViewerCountAction):
                    self.publish_event(p.Viewers(count=action.count))
                    continue
                user = getattr(action, "user", "")
                if user in self.banned or self.timed_out_until.get(user, 0) > self.clock():
                    continue
                if isinstance(action, ChatAction):
                    self._chat(action.user, action.text, list(action.badges))
                elif isinstance(action, BidAction):
                    self._cmd_auction_place_bid(p.AuctionPlaceBid(
                        auction_id=action.auction_id, user=action.user, amount=to_dollars(action.amount_cents),
                        max_amount=to_dollars(action.max_cents) if action.max_cents else None))
                elif isinstance(action, BuyAction):
                    self._cmd_listing_purchase(p.ListingPurchase(item_id=action.item_id, buyer=action.user))
                elif isinstance(action, EntryAction):
                    self._cmd_giveaway_enter(p.GiveawayEnter(giveaway_id=action.giveaway_id, user=action.user))
            except (ProtocolError, AuctionError) as err:
                # Viewers race each other like real ones do (outbid, sold out): not an error.
                log.debug("simulated %s refused: %s", type(action).__name__, err.code)


def _only_v1(connection: ServerConnection, request: Any) -> Any:
    """Protocol v1 lives at path /v1 (docs/protocol.md): another path is an HTTP 404 before any frame."""
    if request.path.split("?", 1)[0] != "/v1":
        return connection.respond(404, "protocol v1 is at /v1\n")
    return None


def _peek_id(raw: str | bytes, max_chars: int = p.MAX_MESSAGE_BYTES) -> str | None:
    """The id of a frame that failed validation, if it is a JSON object with a sane string id."""
    if not isinstance(raw, str) or len(raw) > max_chars:
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    mid = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(mid, str) and 0 < len(mid) <= p.MAX_ID_CHARS and p.is_utf8_text(mid):
        return mid
    return None
