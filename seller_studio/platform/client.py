"""The studio's platform client: protocol v1 over ws:// or wss:// (asyncio + websockets, no Qt).

The app runs it on the Qt loop through qasync; tests and the headless demo run it on a plain
asyncio loop. Subscribers are called on that loop's thread.

- ``connect()`` returns once the platform has welcomed us; a refused token or an unreachable host
  on the first connect raises a UserError (no retry: retrying cannot fix either).
- After that, a dropped connection is retried with the shared ReconnectPolicy and the client resumes
  from the last event seq it saw, so subscribers get every event once, in order.
- ``command()`` sends a command with a fresh id and returns the ack's data or raises CommandError;
  commands sent while reconnecting are re-sent with the same id (the server makes that idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import math
import ssl as ssl_module
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.common.errors import (
    BadUrlError,
    ExitCode,
    RejectedKeyError,
    UnreachableHostError,
    UserError,
)
from seller_studio.common.events import EventEmitter
from seller_studio.common.net import is_loopback_host
from seller_studio.common.secrets import SecretStore, platform_token_name
from seller_studio.i18n import tr_noop
from seller_studio.platform import protocol as p
from seller_studio.platform import rules
from seller_studio.platform.protocol import Envelope, ErrorCode, ProtocolError

log = logging.getLogger(__name__)

KEPT_EVENTS = 50_000  # delivered events kept for late subscribers (a long show's backlog)
TIMEOUT_CODE = "timeout"
CLOSED_CODE = "closed"


class ConnectionState(enum.StrEnum):
    DISCONNECTED = "disconnected"  # not started yet
    CONNECTING = "connecting"  # first connect in progress
    CONNECTED = "connected"  # welcomed; events flowing
    RECONNECTING = "reconnecting"  # dropped; waiting or trying again
    REJECTED = "rejected"  # the platform refused the token: no retry
    CLOSED = "closed"  # close() was called


class CommandError(Exception):
    """The platform answered a command with `error`, or no answer came in time (code "timeout")."""

    def __init__(self, code: str, message: str, command_type: str = ""):
        super().__init__(f"{command_type}: {message} ({code})" if command_type else f"{message} ({code})")
        self.code = code
        self.message = message
        self.command_type = command_type


class PlatformAuthError(RejectedKeyError):
    """The platform refused the token."""


EventCallback = Callable[[p.Event], None]


@dataclass
class _Pending:
    envelope: Envelope
    future: asyncio.Future[dict[str, Any]]
    sent_on: int = -1  # connection number the command was last sent on


class PlatformClient:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        secret_store: SecretStore | None = None,
        destination_id: str = "sandbox",
        policy: ReconnectPolicy | None = None,
        ack_timeout_s: float = 5.0,
        connect_timeout_s: float = 10.0,
        ssl: ssl_module.SSLContext | None = None,
    ):
        check_platform_url(url)
        self.url = url
        self._token = token
        self._secret_store = secret_store
        self.destination_id = destination_id
        self.policy = policy or ReconnectPolicy()
        self.ack_timeout_s = ack_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._ssl = ssl
        # Env proxies must not capture loopback (the embedded sandbox).
        self._proxy: bool | None = None if is_loopback_host(urlsplit(url).hostname or "") else True
        self.status = EventEmitter()  # "state" events: {state, attempt, retry_in_s, reason}
        self._subscribers: list[tuple[EventCallback, frozenset[str] | None]] = []
        self._state = ConnectionState.DISCONNECTED
        self.last_seq = 0
        self.show_id: str | None = None
        self.currency: str | None = None  # the show's ISO 4217 currency from the last welcome (None: not said)
        self.server_time_offset_s = 0.0  # server clock minus ours, from the last welcome
        self._pending: dict[str, _Pending] = {}
        self._ws: ClientConnection | None = None
        self._conn_no = 0
        self._run_task: asyncio.Task[None] | None = None
        self._welcomed: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self._is_closing = False
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:12]
        self.events_received = 0
        self.gaps_seen = 0
        self._delivered: deque[p.Event] = deque(maxlen=KEPT_EVENTS)  # for subscribe(replay=True)

    # --- public API ---

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_connected(self) -> bool:
        return self._state is ConnectionState.CONNECTED

    def subscribe(self, callback: EventCallback, types: Iterable[str] | None = None, *,
                  replay: bool = False) -> Callable[[], None]:
        """Call ``callback(event)`` for every typed event (or only ``types``). Returns an unsubscribe function.

        ``replay=True`` first hands the callback every event this client already delivered (the newest
        ``KEPT_EVENTS``), in order: the backlog a platform sends right after its welcome is dispatched
        before ``connect()`` even returns, so a subscriber that attaches afterwards (the show, which
        records sales from it) would otherwise never see it."""
        entry = (callback, frozenset(types) if types is not None else None)
        if replay:
            for event in list(self._delivered):
                if entry[1] is None or event.TYPE in entry[1]:
                    try:
                        callback(event)
                    except Exception:
                        log.exception("platform event subscriber failed on replayed %s", event.TYPE)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    async def connect(self) -> None:
        """Connect and wait for the platform's welcome. Raises PlatformAuthError / UnreachableHostError."""
        if self._run_task is not None:
            raise RuntimeError("connect() was already called")
        token = self._resolve_token()
        loop = asyncio.get_running_loop()
        self._welcomed = loop.create_future()
        self._set_state(ConnectionState.CONNECTING)
        self._run_task = asyncio.create_task(self._run(token), name="platform-client")
        try:
            # Opening the socket has its own timeout; a server that then never welcomes us (or sends a
            # welcome we cannot read) must not hold connect() forever either.
            await asyncio.wait_for(asyncio.shield(self._welcomed), 2 * self.connect_timeout_s)
        except TimeoutError:
            await self.close()
            raise UnreachableHostError(tr_noop('the platform at {value} did not welcome us within {value2:g} s').format(value=_safe_url(self.url), value2=2 * self.connect_timeout_s)) from None
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        self._is_closing = True
        self._wake.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._run_task is not None and self._run_task is not asyncio.current_task():
            self._run_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._run_task
        self._fail_pending(CLOSED_CODE, tr_noop("the platform connection was closed"))
        if self._state is not ConnectionState.REJECTED:
            self._set_state(ConnectionState.CLOSED)

    def reconnect_now(self) -> None:
        """Skip the rest of the current reconnect wait."""
        self._wake.set()

    async def command(self, mtype: str, data: dict[str, Any] | None = None, *, timeout_s: float | None = None,
                      command_id: str | None = None) -> dict[str, Any]:
        """Send a command; return the ack's data. Raises CommandError (code "timeout" if no answer in time)."""
        if self._state in (ConnectionState.CLOSED, ConnectionState.REJECTED):
            raise CommandError(CLOSED_CODE, "not connected to the platform", mtype)
        mid = command_id or f"{self._id_prefix}-{next(self._ids)}"
        pending = self._pending.get(mid)
        if pending is None:
            env = Envelope(type=mtype, id=mid, data=data or {})
            size = len(p.encode(env).encode("utf-8", "surrogatepass"))
            if size > p.MAX_MESSAGE_BYTES:
                # The platform would answer `too_large` (over 1 MiB: drop the connection, and the re-send
                # after the reconnect would drop it again): refused here, nothing is sent.
                raise CommandError(ErrorCode.TOO_LARGE, tr_noop("the message is {size} bytes; the platform takes at most "
                                                                "{limit}").format(size=size, limit=p.MAX_MESSAGE_BYTES), mtype)
            pending = _Pending(env, asyncio.get_running_loop().create_future())
            self._pending[mid] = pending
            await self._send_pending(pending)
        timeout = self.ack_timeout_s if timeout_s is None else timeout_s
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout)
        except TimeoutError:
            raise CommandError(TIMEOUT_CODE, tr_noop("no answer from the platform within {seconds} s").format(
                seconds=f"{timeout:g}"), mtype) from None
        finally:
            # Answered or given up: a late answer to this id is ignored.
            self._pending.pop(mid, None)

    async def send_raw(self, text: str) -> None:
        """Send a frame as is (tests and protocol debugging)."""
        if self._ws is None:
            raise CommandError(CLOSED_CODE, "not connected to the platform")
        await self._ws.send(text)

    async def ping(self) -> float:
        """Round-trip time of one command in seconds."""
        t0 = time.perf_counter()
        await self.command(p.Ping.TYPE)
        return time.perf_counter() - t0

    def server_now(self) -> float:
        """The platform's clock now (for showing ends_at countdowns)."""
        return time.time() + self.server_time_offset_s

    async def send(self, cmd: p.Message) -> dict[str, Any]:
        """Send a typed command; return the ack's data. It is checked here first with the platform's own
        rules, so a value the platform would refuse fails at once (CommandError "bad_message")."""
        data = cmd.to_data()
        try:
            type(cmd).from_data(data)
            text_error = p.find_bad_text(data, "data")
        except ProtocolError as err:
            raise CommandError(err.code, err.message, cmd.TYPE) from None
        if text_error is not None:
            raise CommandError(ErrorCode.BAD_MESSAGE, tr_noop("`{field}` is not valid Unicode text").format(field=text_error),
                               cmd.TYPE)
        return await self.command(cmd.TYPE, data)

    # Convenience wrappers for the show panel: typed commands, checked before they are sent.

    async def start_show(self, title: str | None = None, currency: str | None = None) -> dict[str, Any]:
        return await self.send(p.ShowStart(title=title, currency=currency))

    async def end_show(self) -> dict[str, Any]:
        return await self.send(p.ShowEnd())

    async def show_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return await self.send(p.ItemShow(item=item))

    async def send_chat(self, text: str, reply_to: str | None = None) -> str:
        result = await self.send(p.ChatSend(text=text, reply_to=reply_to))
        return str(result.get("msg_id", ""))

    async def pin_chat(self, msg_id: str) -> None:
        await self.send(p.ChatPin(msg_id=msg_id))

    async def delete_chat(self, msg_id: str) -> None:
        await self.send(p.ChatDelete(msg_id=msg_id))

    async def timeout_user(self, user: str, seconds: int) -> None:
        await self.send(p.UserTimeout(user=user, seconds=seconds))

    async def ban_user(self, user: str) -> None:
        await self.send(p.UserBan(user=user))

    async def start_auction(self, item_id: str, starting_bid: float, duration_s: float,
                            counter_bid_s: float = rules.COUNTER_BID_DEFAULT_S,
                            sudden_death: bool = False) -> dict[str, Any]:
        """Returns {auction_id, ends_at}."""
        return await self.send(p.AuctionStart(item_id=item_id, starting_bid=starting_bid, duration_s=duration_s,
                                              counter_bid_s=counter_bid_s, sudden_death=sudden_death))

    async def buy_now(self, item_id: str, price: float, quantity: int = 1) -> dict[str, Any]:
        return await self.send(p.ListingBuyNow(item_id=item_id, price=price, quantity=quantity))

    async def start_giveaway(self, item_id: str, duration_s: float = rules.GIVEAWAY_DEFAULT_S) -> dict[str, Any]:
        """Returns {giveaway_id, ends_at}."""
        return await self.send(p.GiveawayStart(item_id=item_id, duration_s=duration_s))

    async def draw_giveaway(self, giveaway_id: str) -> str | None:
        result = await self.send(p.GiveawayDraw(giveaway_id=giveaway_id))
        user = result.get("user")
        return user if isinstance(user, str) else None

    # --- internals ---

    def _resolve_token(self) -> str:
        if self._token:
            return self._token
        store = self._secret_store or SecretStore()
        token = store.get(platform_token_name(self.destination_id))
        if not token:
            raise UserError(tr_noop('no platform token saved for {destination_id!r}; add it in Settings > Platform').format(destination_id=self.destination_id),
                            ExitCode.NO_STREAM_KEY)
        return token

    def _set_state(self, state: ConnectionState, **info: Any) -> None:
        if state is self._state and not info:
            return
        self._state = state
        self.status.emit("state", state=state.value, **info)

    async def _run(self, token: str) -> None:
        attempt = 0
        while not self._is_closing:
            try:
                ws = await ws_connect(self.url, open_timeout=self.connect_timeout_s, max_size=p.HARD_MAX_FRAME_BYTES,
                                      compression=None, ssl=self._ssl, proxy=self._proxy)
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                reason = _describe(exc)
                if self._welcomed is not None and not self._welcomed.done():
                    self._welcomed.set_exception(UnreachableHostError(
                        tr_noop('cannot reach the platform at {value}: {reason}').format(value=_safe_url(self.url), reason=reason)))
                    return
                attempt += 1
                if not await self._wait_retry(attempt, reason):
                    return
                continue
            is_discarded = False
            try:
                was_welcomed = await self._session(ws, token)
            except PlatformAuthError as err:
                self._set_state(ConnectionState.REJECTED, reason=str(err))
                self._fail_pending(ErrorCode.UNAUTHORIZED, str(err))
                if self._welcomed is not None and not self._welcomed.done():
                    self._welcomed.set_exception(err)
                return
            except GeneratorExit:
                # The loop went away with this task suspended (a window closed without running its
                # loop again): nothing may be awaited now; the socket goes with the process.
                is_discarded = True
                raise
            finally:
                self._ws = None
                if not is_discarded:
                    with contextlib.suppress(Exception):
                        await ws.close()
            if self._is_closing:
                return
            if self._welcomed is not None and not self._welcomed.done():
                self._welcomed.set_exception(UnreachableHostError(
                    tr_noop('the platform at {value} closed the connection before welcoming us').format(value=_safe_url(self.url))))
                return
            attempt = 1 if was_welcomed else attempt + 1
            if not await self._wait_retry(attempt, "connection lost"):
                return

    async def _wait_retry(self, attempt: int, reason: str) -> bool:
        if not self.policy.should_retry(attempt):
            self._set_state(ConnectionState.CLOSED, reason=tr_noop("gave up after {retries} retries: {reason}").format(
                retries=attempt - 1, reason=reason))
            self._fail_pending(CLOSED_CODE, tr_noop("the platform connection was lost"))
            return False
        delay_s = self.policy.delay_s(attempt)
        log.info("platform connection lost (%s); retry %d in %.1f s", reason, attempt, delay_s)
        self._set_state(ConnectionState.RECONNECTING, attempt=attempt, retry_in_s=delay_s, reason=reason)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay_s)
        return not self._is_closing

    async def _session(self, ws: ClientConnection, token: str) -> bool:
        """One connection: hello, welcome, re-send pending commands, then read until it drops."""
        self._conn_no += 1
        is_welcomed = False
        hello_id = f"{self._id_prefix}-hello-{self._conn_no}"
        try:
            await ws.send(p.encode(Envelope(type=p.Hello.TYPE, id=hello_id,
                                            data={"token": token, "resume_from": self.last_seq,
                                                  "protocol": p.PROTOCOL_VERSION})))
            async for raw in ws:
                try:
                    env = p.decode(raw, p.HARD_MAX_FRAME_BYTES)
                except ProtocolError as err:
                    log.warning("ignored a malformed frame from the platform: %s", err.code)
                    continue
                if not is_welcomed:
                    if env.type == "welcome" and isinstance(env.data, dict):
                        self._on_welcome(env)
                        is_welcomed = True
                        self._ws = ws
                        self._set_state(ConnectionState.CONNECTED)
                        if self._welcomed is not None and not self._welcomed.done():
                            self._welcomed.set_result(None)
                        for pending in list(self._pending.values()):
                            await self._send_pending(pending)
                        continue
                    if env.type == "error" and env.data.get("code") == ErrorCode.UNAUTHORIZED:
                        raise PlatformAuthError(tr_noop("the platform refused the token; check it in Settings > Platform"))
                    if env.type == "error":
                        log.warning("platform refused hello: %s", str(env.data.get("code"))[:40])
                        continue
                try:
                    self._on_envelope(env)
                except Exception:
                    # A client bug on one frame must not end the session; the frame is lost, not the show.
                    log.exception("platform client failed on a %r message", env.type[:40])
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == p.CLOSE_UNAUTHORIZED:
                raise PlatformAuthError(tr_noop("the platform refused the token; check it in Settings > Platform")) from None
            log.info("platform connection closed: %s", _describe(exc))
        except OSError as exc:
            log.info("platform connection failed: %s", _describe(exc))
        return is_welcomed

    def _on_welcome(self, env: Envelope) -> None:
        # Every field is untrusted: a wrong type or an absurd value is ignored, never an exception.
        data = env.data
        show_id = data.get("show_id")
        self.show_id = show_id if isinstance(show_id, str) and 0 < len(show_id) <= 200 else None
        currency = data.get("currency")
        self.currency = currency if rules.currency_error(currency) is None else None
        server_time = _finite_number(data.get("server_time"))
        if server_time is not None:
            self.server_time_offset_s = server_time - time.time()
        resume_from = data.get("resume_from")
        if type(resume_from) is int and resume_from >= 0 and resume_from != self.last_seq:
            # The platform could not replay from where we were (another show, or too old): start over there.
            log.warning("platform replays from seq %d, we had %d", resume_from, self.last_seq)
            self.last_seq = resume_from

    def _on_envelope(self, env: Envelope) -> None:
        if env.type in ("ack", "pong", "error", "welcome"):
            pending = self._pending.get(env.id) if env.id else None
            if pending is None:
                if env.type == "error":
                    log.warning("platform error: %s", str(env.data.get("code"))[:40])
                return
            if pending.future.done():
                return
            if env.type == "error":
                pending.future.set_exception(CommandError(str(env.data.get("code", ErrorCode.INTERNAL)),
                                                          str(env.data.get("message", ""))[:300],
                                                          pending.envelope.type))
            else:
                pending.future.set_result(env.data)
            return
        if env.seq is None:
            log.debug("ignored a %r message without seq", env.type[:40])
            return
        if env.seq <= self.last_seq:
            return  # already seen (defensive: the server should never send it twice)
        if env.seq != self.last_seq + 1:
            self.gaps_seen += 1
            log.warning("event gap: expected seq %d, got %d", self.last_seq + 1, env.seq)
        self.last_seq = env.seq
        self.events_received += 1
        try:
            event = p.parse_event(env)
        except ProtocolError as err:
            log.warning("ignored a malformed %r event: %s", env.type[:40], err.message)
            return
        if event is None:
            log.debug("ignored unknown event type %r", env.type[:40])
            return
        self._delivered.append(event)
        for callback, types in list(self._subscribers):
            if types is None or event.TYPE in types:
                try:
                    callback(event)
                except Exception:
                    log.exception("platform event subscriber failed on %s", event.TYPE)

    async def _send_pending(self, pending: _Pending) -> None:
        ws = self._ws
        if ws is None or pending.sent_on == self._conn_no:
            return  # sent on (re)connect, after the welcome
        pending.sent_on = self._conn_no
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.send(p.encode(pending.envelope))

    def _fail_pending(self, code: str, message: str) -> None:
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(CommandError(code, message, pending.envelope.type))
        self._pending.clear()


def _finite_number(value: Any) -> float | None:
    """``value`` as a float if it is a real, finite JSON number (not a bool, not a 400-digit integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def check_platform_url(url: str) -> None:
    """Where the studio may connect (docs/protocol.md): ws:// on loopback, wss:// anywhere else, as
    the token goes in the hello. BadUrlError with one line otherwise (the client and Settings both
    ask this)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [IPv6 address
        host, parts = None, None
    if parts is None or parts.scheme not in ("ws", "wss") or not host:
        raise BadUrlError(tr_noop('the platform address must start with ws:// or wss:// and name a host, not {value!r}').format(value=url[:60]))
    if parts.scheme == "ws" and not is_loopback_host(host):
        raise BadUrlError(tr_noop('the platform address must start with wss:// (ws:// only on this computer), not {value!r}').format(value=_safe_url(url)[:60]))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:160]


def _safe_url(url: str) -> str:
    """The URL without query or user info, which may hold credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
