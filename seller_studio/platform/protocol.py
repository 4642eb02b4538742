"""Protocol v1 between the studio and a live-shopping platform (docs/protocol.md).

JSON text frames over WebSocket, envelope ``{"type", "id"?, "seq"?, "data"}``. Commands carry a
client ``id``; server events carry a ``seq``. This module holds the message vocabulary as
dataclasses, their validation, and encode/decode. It is shared by the client and the sandbox server
so both sides agree on every field.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

from seller_studio.platform import rules

PROTOCOL_VERSION = "v1"

# Limits (documented in docs/protocol.md).
MAX_MESSAGE_BYTES = 64 * 1024  # bigger text frames are answered with `too_large`
HARD_MAX_FRAME_BYTES = 1024 * 1024  # past this the websocket layer closes the connection (1009)
RATE_LIMIT_PER_S = 50.0  # sustained messages per second per connection
RATE_LIMIT_BURST = 100  # messages a connection may send at once
MAX_ID_CHARS = rules.MAX_ID_CHARS
MAX_CHAT_CHARS = rules.MAX_CHAT_CHARS

# WebSocket close codes the server uses.
CLOSE_UNAUTHORIZED = 4001
CLOSE_PROTOCOL_MISMATCH = 4002
CLOSE_SLOW_CONSUMER = 4008


class ErrorCode:
    """Every `error.code` the server sends. Strings so newer servers can add codes."""

    BAD_JSON = "bad_json"  # frame was not valid JSON (or not UTF-8 text)
    BAD_MESSAGE = "bad_message"  # envelope or data fields missing / wrong type / out of range
    TOO_LARGE = "too_large"  # frame bigger than MAX_MESSAGE_BYTES
    RATE_LIMITED = "rate_limited"  # over the per-connection rate limit; retry later
    UNAUTHORIZED = "unauthorized"  # wrong token in hello; the connection is closed after it
    NOT_AUTHENTICATED = "not_authenticated"  # a command before a successful hello
    UNKNOWN_TYPE = "unknown_type"  # command type this server does not know (logged, no effect)
    RESUME_UNAVAILABLE = "resume_unavailable"  # resume_from is older than the kept history
    NOT_FOUND = "not_found"  # auction / listing / giveaway / message id not known
    AUCTION_RUNNING = "auction_running"  # another auction is running in this show
    AUCTION_NOT_RUNNING = "auction_not_running"  # bid on an auction that has ended
    CANNOT_CANCEL = "cannot_cancel"  # a running auction cannot be cancelled
    BID_TOO_LOW = "bid_too_low"  # below current price + minimum increment
    SOLD_OUT = "sold_out"  # buy-now listing has no quantity left
    GIVEAWAY_RUNNING = "giveaway_running"  # a giveaway is already open
    SHOW_NOT_LIVE = "show_not_live"  # selling (or buying) command after show.end
    BANNED = "banned"  # the acting user is banned or timed out
    INTERNAL = "internal"  # a server bug; the command had no effect


class ProtocolError(Exception):
    """A message that breaks the protocol. ``code`` is one of ErrorCode."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- envelope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    seq: int | None = None


def encode(env: Envelope) -> str:
    out: dict[str, Any] = {"type": env.type}
    if env.id is not None:
        out["id"] = env.id
    if env.seq is not None:
        out["seq"] = env.seq
    out["data"] = env.data
    # allow_nan=False: NaN/Infinity are not JSON and other implementations reject them.
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode(raw: str | bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> Envelope:
    """Parse one frame into an Envelope. Raises ProtocolError with a code for the answer."""
    if isinstance(raw, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "binary frames are not part of protocol v1; send JSON text")
    if len(raw) > max_bytes or len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message is larger than {max_bytes} bytes")
    try:
        obj = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a message must be a JSON object")
    bad_text = find_bad_text(obj)
    if bad_text is not None:
        # A lone surrogate ("\ud800") parses as JSON but cannot be sent on as UTF-8: refusing it
        # here keeps it out of the history and off every other client's connection.
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"`{bad_text}` is not valid Unicode text")
    mtype = obj.get("type")
    if not isinstance(mtype, str) or not mtype or len(mtype) > 64:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "`type` must be a non-empty string")
    mid = obj.get("id")
    if mid is not None and (not isinstance(mid, str) or not mid or len(mid) > MAX_ID_CHARS):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"`id` must be a string of 1-{MAX_ID_CHARS} characters")
    seq = obj.get("seq")
    if seq is not None and (type(seq) is not int or seq < 1):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "`seq` must be a positive integer")
    data = obj.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "`data` must be a JSON object")
    return Envelope(type=mtype, data=data, id=mid, seq=seq)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_utf8_text(text: str) -> bool:
    """False for a string UTF-8 cannot encode (a lone surrogate from a JSON escape like "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_bad_text(obj: Any, where: str = "") -> str | None:
    """The path (``data.item.title``) of the first string or key in ``obj`` that is not valid
    Unicode text, or None. Iterative: the JSON parser already bounded the nesting."""
    stack: list[tuple[Any, str]] = [(obj, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not is_utf8_text(value):
                return path or "value"
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or not is_utf8_text(key):
                    return f"{path}.<key>" if path else "<key>"
                stack.append((item, f"{path}.{key[:40]}" if path else key[:40]))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, f"{path}[{i}]"))
    return None


def error_envelope(code: str, message: str, mid: str | None = None) -> Envelope:
    return Envelope(type="error", id=mid, data={"code": code, "message": message})


# --- message dataclasses ------------------------------------------------------------------------


class Message:
    """Base of every typed message. ``TYPE`` is the wire type; fields are the `data` keys.

    ``MONEY_FIELDS`` maps each money field to its minimum in cents; the maximum is
    ``rules.MONEY_MAX_CENTS`` for all of them.
    """

    TYPE: ClassVar[str] = ""
    MONEY_FIELDS: ClassVar[dict[str, int]] = {}

    def to_data(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name == "seq":
                continue  # an event's seq lives in the envelope
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue  # optional fields that are unset stay off the wire
            out[f.name] = value
        return out

    @classmethod
    def from_data(cls, data: dict[str, Any], *, currency: str = rules.DEFAULT_CURRENCY) -> Any:
        """The typed message; ``currency`` (the show's) only words the money error messages."""
        return _build(cls, data, currency)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Resolving string annotations costs ~1.5 ms per message; the studio decodes 50 chat
    # messages a second on its GUI thread, so resolve once per class.
    return typing.get_type_hints(cls)


def _build(cls: type, data: dict[str, Any], currency: str = rules.DEFAULT_CURRENCY) -> Any:
    hints = _type_hints(cls)
    kwargs: dict[str, Any] = {}
    money: dict[str, int] = getattr(cls, "MONEY_FIELDS", {})
    for f in dataclasses.fields(cls):
        if f.name == "seq":
            continue
        if f.name in money and data.get(f.name) is not None:
            # Money before the type check: a 400-digit integer must get the money message, and never
            # reach float(), which would overflow.
            why = rules.money_error(data[f.name], minimum_cents=money[f.name], currency=currency)
            if why is not None:
                unit = "dollars" if currency == "USD" else currency
                raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{cls.TYPE}: `{f.name}` {why} ({unit}, at most "  # type: ignore[attr-defined]
                                    f"{rules.format_wire_money(rules.MONEY_MAX_CENTS, currency)}, 2 decimals)")
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if f.name not in data:
            if has_default:
                continue
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{cls.TYPE}: `{f.name}` is required")  # type: ignore[attr-defined]
        kwargs[f.name] = _check(cls.TYPE, f.name, hints[f.name], data[f.name])  # type: ignore[attr-defined]
    obj = cls(**kwargs)
    validate = getattr(obj, "validate", None)
    if validate is not None:
        validate()
    return obj


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false", dict: "an object", list: "a list"}


def _check(mtype: str, name: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _check(mtype, name, args[0], value)
    base = origin or hint
    ok: bool
    if base is float:
        # JSON has one number type: accept ints for float fields, never bools or NaN. An integer too
        # big for a float (400 digits) is out of range, not a crash.
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            try:
                ok = math.isfinite(float(value))
            except OverflowError:
                raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{mtype}: `{name}` is out of range") from None
        value = float(value) if ok else value
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, base) and not (base is not bool and isinstance(value, bool))
    if not ok:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{mtype}: `{name}` must be {_TYPE_NAMES.get(base, base)}")
    return value


def _require(cond: bool, mtype: str, message: str) -> None:
    if not cond:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{mtype}: {message}")


def _require_len(value: str | None, mtype: str, name: str, max_chars: int, *, min_chars: int = 1) -> None:
    if value is not None:
        _require(min_chars <= len(value) <= max_chars, mtype, f"`{name}` must be {min_chars}-{max_chars} characters")


def _ids_ok(msg: Message, names: tuple[str, ...], max_chars: int) -> None:
    for name in names:
        _require_len(getattr(msg, name), msg.TYPE, name, max_chars)


# Commands (client -> server). Each gets exactly one `ack` or `error` with the same id.


@dataclass
class Hello(Message):
    TYPE: ClassVar[str] = "hello"
    token: str
    resume_from: int = 0
    protocol: str = PROTOCOL_VERSION

    def validate(self) -> None:
        _require(self.resume_from >= 0, self.TYPE, "`resume_from` must be 0 or more")


@dataclass
class Ping(Message):
    TYPE: ClassVar[str] = "ping"


@dataclass
class ShowStart(Message):
    TYPE: ClassVar[str] = "show.start"
    title: str | None = None
    currency: str | None = None  # ISO 4217 (rules.CURRENCIES); None: the platform's default

    def validate(self) -> None:
        _require_len(self.title, self.TYPE, "title", rules.MAX_TITLE_CHARS, min_chars=0)
        if self.currency is not None:
            why = rules.currency_error(self.currency)
            _require(why is None, self.TYPE, f"`currency` {why}")


@dataclass
class ShowEnd(Message):
    TYPE: ClassVar[str] = "show.end"


@dataclass
class ItemShow(Message):
    TYPE: ClassVar[str] = "item.show"
    item: dict[str, Any]

    def validate(self) -> None:
        item_id = self.item.get("item_id")
        _require(isinstance(item_id, str) and 1 <= len(item_id) <= rules.MAX_ID_CHARS, self.TYPE,
                 f"`item.item_id` must be a string of 1-{rules.MAX_ID_CHARS} characters")


@dataclass
class ChatSend(Message):
    TYPE: ClassVar[str] = "chat.send"
    text: str
    reply_to: str | None = None

    def validate(self) -> None:
        _require(0 < len(self.text) <= MAX_CHAT_CHARS, self.TYPE, f"`text` must be 1-{MAX_CHAT_CHARS} characters")
        _require_len(self.reply_to, self.TYPE, "reply_to", rules.MAX_ID_CHARS)


@dataclass
class ChatPin(Message):
    TYPE: ClassVar[str] = "chat.pin"
    msg_id: str

    def validate(self) -> None:
        _ids_ok(self, ("msg_id",), rules.MAX_ID_CHARS)


@dataclass
class ChatDelete(Message):
    TYPE: ClassVar[str] = "chat.delete"
    msg_id: str

    def validate(self) -> None:
        _ids_ok(self, ("msg_id",), rules.MAX_ID_CHARS)


@dataclass
class UserTimeout(Message):
    TYPE: ClassVar[str] = "user.timeout"
    user: str
    seconds: int

    def validate(self) -> None:
        _ids_ok(self, ("user",), rules.MAX_NAME_CHARS)
        _require(rules.TIMEOUT_MIN_S <= self.seconds <= rules.TIMEOUT_MAX_S, self.TYPE,
                 f"`seconds` must be {rules.TIMEOUT_MIN_S}-{rules.TIMEOUT_MAX_S}")


@dataclass
class UserBan(Message):
    TYPE: ClassVar[str] = "user.ban"
    user: str

    def validate(self) -> None:
        _ids_ok(self, ("user",), rules.MAX_NAME_CHARS)


@dataclass
class AuctionStart(Message):
    TYPE: ClassVar[str] = "auction.start"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"starting_bid": rules.MIN_STARTING_BID_CENTS}
    item_id: str
    starting_bid: float
    duration_s: float
    counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S
    sudden_death: bool = False

    def validate(self) -> None:
        _ids_ok(self, ("item_id",), rules.MAX_ID_CHARS)
        _require(rules.AUCTION_DURATION_MIN_S <= self.duration_s <= rules.AUCTION_DURATION_MAX_S, self.TYPE,
                 f"`duration_s` must be {rules.AUCTION_DURATION_MIN_S:g}-{rules.AUCTION_DURATION_MAX_S:g}")
        _require(rules.COUNTER_BID_MIN_S <= self.counter_bid_s <= rules.COUNTER_BID_MAX_S, self.TYPE,
                 f"`counter_bid_s` must be {rules.COUNTER_BID_MIN_S:g}-{rules.COUNTER_BID_MAX_S:g}")


@dataclass
class AuctionCancel(Message):
    TYPE: ClassVar[str] = "auction.cancel"
    auction_id: str

    def validate(self) -> None:
        _ids_ok(self, ("auction_id",), rules.MAX_ID_CHARS)


@dataclass
class AuctionPlaceBid(Message):
    """A bid from a buyer's app. The studio never sends it; the sandbox uses it for tests."""

    TYPE: ClassVar[str] = "auction.place_bid"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"amount": 1, "max_amount": 1}
    auction_id: str
    user: str
    amount: float
    max_amount: float | None = None

    def validate(self) -> None:
        _ids_ok(self, ("auction_id",), rules.MAX_ID_CHARS)
        _ids_ok(self, ("user",), rules.MAX_NAME_CHARS)


@dataclass
class ListingBuyNow(Message):
    TYPE: ClassVar[str] = "listing.buy_now"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"price": 1}
    item_id: str
    price: float
    quantity: int = 1

    def validate(self) -> None:
        _ids_ok(self, ("item_id",), rules.MAX_ID_CHARS)
        _require(1 <= self.quantity <= rules.BUY_NOW_MAX_QUANTITY, self.TYPE,
                 f"`quantity` must be 1-{rules.BUY_NOW_MAX_QUANTITY}")


@dataclass
class ListingPurchase(Message):
    """A buy-now purchase from a buyer's app (sandbox only, like auction.place_bid)."""

    TYPE: ClassVar[str] = "listing.purchase"
    item_id: str
    buyer: str

    def validate(self) -> None:
        _ids_ok(self, ("item_id",), rules.MAX_ID_CHARS)
        _ids_ok(self, ("buyer",), rules.MAX_NAME_CHARS)


@dataclass
class GiveawayEnter(Message):
    """A viewer enters the open giveaway (sandbox only)."""

    TYPE: ClassVar[str] = "giveaway.enter"
    giveaway_id: str
    user: str

    def validate(self) -> None:
        _ids_ok(self, ("giveaway_id",), rules.MAX_ID_CHARS)
        _ids_ok(self, ("user",), rules.MAX_NAME_CHARS)


@dataclass
class GiveawayStart(Message):
    TYPE: ClassVar[str] = "giveaway.start"
    item_id: str
    duration_s: float = rules.GIVEAWAY_DEFAULT_S

    def validate(self) -> None:
        _ids_ok(self, ("item_id",), rules.MAX_ID_CHARS)
        _require(rules.GIVEAWAY_MIN_S <= self.duration_s <= rules.GIVEAWAY_MAX_S, self.TYPE,
                 f"`duration_s` must be {rules.GIVEAWAY_MIN_S:g}-{rules.GIVEAWAY_MAX_S:g} (entry window up to 5 min)")


@dataclass
class GiveawayDraw(Message):
    """Draw the winner now instead of waiting for the window to close."""

    TYPE: ClassVar[str] = "giveaway.draw"
    giveaway_id: str

    def validate(self) -> None:
        _ids_ok(self, ("giveaway_id",), rules.MAX_ID_CHARS)


COMMANDS: dict[str, type[Message]] = {
    c.TYPE: c
    for c in (Ping, ShowStart, ShowEnd, ItemShow, ChatSend, ChatPin, ChatDelete, UserTimeout, UserBan,
              AuctionStart, AuctionCancel, AuctionPlaceBid, ListingBuyNow, ListingPurchase, GiveawayStart,
              GiveawayEnter, GiveawayDraw)
}


# Events (server -> client), each with a strictly increasing `seq`.


@dataclass
class Event(Message):
    """Base of typed events. ``seq`` is filled from the envelope, not from `data`."""

    seq: int = field(default=0, kw_only=True, compare=False)


@dataclass
class ShowStarted(Event):
    TYPE: ClassVar[str] = "show.started"
    show_id: str
    started_at: float
    title: str | None = None
    currency: str | None = None  # the show's ISO 4217 currency (absent from older platforms: USD)


@dataclass
class ShowEnded(Event):
    TYPE: ClassVar[str] = "show.ended"
    show_id: str
    ended_at: float


@dataclass
class ItemShown(Event):
    TYPE: ClassVar[str] = "item.shown"
    item: dict[str, Any]


@dataclass
class Viewers(Event):
    TYPE: ClassVar[str] = "viewers"
    count: int


@dataclass
class ChatMessage(Event):
    TYPE: ClassVar[str] = "chat.message"
    msg_id: str
    user: str
    text: str
    ts: float
    badges: list[Any] = field(default_factory=list)
    reply_to: str | None = None


@dataclass
class ChatPinned(Event):
    TYPE: ClassVar[str] = "chat.pinned"
    msg_id: str


@dataclass
class ChatDeleted(Event):
    TYPE: ClassVar[str] = "chat.deleted"
    msg_id: str


@dataclass
class UserTimedOut(Event):
    TYPE: ClassVar[str] = "user.timed_out"
    user: str
    until: float


@dataclass
class UserBanned(Event):
    TYPE: ClassVar[str] = "user.banned"
    user: str


@dataclass
class AuctionStarted(Event):
    TYPE: ClassVar[str] = "auction.started"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"starting_bid": 0}
    auction_id: str
    item_id: str
    ends_at: float
    starting_bid: float = 0.0
    counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S
    sudden_death: bool = False


@dataclass
class AuctionBid(Event):
    TYPE: ClassVar[str] = "auction.bid"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"amount": 0, "next_min_bid": 0}
    auction_id: str
    user: str
    amount: float
    ends_at: float
    next_min_bid: float = 0.0
    is_proxy: bool = False


@dataclass
class AuctionEnded(Event):
    TYPE: ClassVar[str] = "auction.ended"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"price": 0}
    auction_id: str
    item_id: str = ""
    winner: str | None = None
    price: float | None = None

    @property
    def is_sold(self) -> bool:
        return self.winner is not None


@dataclass
class ListingOpened(Event):
    TYPE: ClassVar[str] = "listing.opened"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"price": 0}
    item_id: str
    price: float
    quantity: int


@dataclass
class Sale(Event):
    TYPE: ClassVar[str] = "sale"
    MONEY_FIELDS: ClassVar[dict[str, int]] = {"price": 0}
    item_id: str
    buyer: str
    price: float
    quantity_left: int = 0


@dataclass
class ListingSoldOut(Event):
    TYPE: ClassVar[str] = "listing.sold_out"
    item_id: str


@dataclass
class GiveawayStarted(Event):
    TYPE: ClassVar[str] = "giveaway.started"
    giveaway_id: str
    item_id: str
    ends_at: float


@dataclass
class GiveawayEntry(Event):
    TYPE: ClassVar[str] = "giveaway.entry"
    giveaway_id: str
    user: str
    entries: int


@dataclass
class GiveawayWinner(Event):
    TYPE: ClassVar[str] = "giveaway.winner"
    giveaway_id: str
    item_id: str
    user: str | None = None  # None: nobody entered


@dataclass
class IngestHealth(Event):
    TYPE: ClassVar[str] = "ingest.health"
    fps: float
    bitrate_kbps: float
    keyframe_interval_s: float | None
    width: int
    height: int
    has_audio: bool


@dataclass
class IngestStatus(Event):
    """Ingest state as the platform sees it: listening, receiving, refused (wrong key), ended."""

    TYPE: ClassVar[str] = "ingest.status"
    state: str
    reason: str | None = None


EVENTS: dict[str, type[Event]] = {
    e.TYPE: e
    for e in (ShowStarted, ShowEnded, ItemShown, Viewers, ChatMessage, ChatPinned, ChatDeleted, UserTimedOut,
              UserBanned, AuctionStarted, AuctionBid, AuctionEnded, ListingOpened, Sale, ListingSoldOut,
              GiveawayStarted, GiveawayEntry, GiveawayWinner, IngestHealth, IngestStatus)
}


def parse_event(env: Envelope) -> Event | None:
    """The typed event for an envelope, or None for a type this client does not know."""
    cls = EVENTS.get(env.type)
    if cls is None:
        return None
    event = cls.from_data(env.data)
    event.seq = env.seq or 0
    return event
