"""Protocol v1 conformance against the sandbox server over a real loopback socket."""

from __future__ import annotations

import json
import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from seller_studio.platform import protocol as p
from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox, start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from tests.platform.conftest import FakeClock, sandbox_call

pytestmark = pytest.mark.timeout(20)


class Raw:
    """A bare protocol client: sends frames, reads frames, nothing hidden."""

    def __init__(self, url: str, token: str = "test-token", resume_from: int = 0, hello: bool = True):
        self.ws: ClientConnection = connect(url, proxy=None, max_size=p.HARD_MAX_FRAME_BYTES * 2).__enter__()
        self.ids = 0
        self.seen: list[dict] = []  # events read while waiting for an answer
        if hello:
            self.send({"type": "hello", "id": "h", "data": {"token": token, "resume_from": resume_from}})
            self.welcome = self.recv()
            assert self.welcome["type"] == "welcome", self.welcome

    def send(self, obj: dict) -> None:
        self.ws.send(json.dumps(obj))

    def recv(self, timeout_s: float = 5.0) -> dict:
        return json.loads(self.ws.recv(timeout_s))

    def command(self, mtype: str, data: dict | None = None, mid: str | None = None) -> dict:
        """Send a command, skip events, return its answer."""
        self.ids += 1
        mid = mid or f"{id(self):x}-{self.ids}"  # ids are unique per token, like the real client's
        self.send({"type": mtype, "id": mid, "data": data or {}})
        return self.answer(mid)

    def answer(self, mid: str) -> dict:
        while True:
            msg = self.recv()
            if msg.get("id") == mid:
                return msg
            if "seq" in msg:
                self.seen.append(msg)

    def drain(self, timeout_s: float = 0.3) -> list[dict]:
        """Every frame that comes until none has for ``timeout_s`` (answers and events alike)."""
        out = []
        while True:
            try:
                out.append(self.recv(timeout_s))
            except TimeoutError:
                return out

    def events(self, timeout_s: float = 0.3) -> list[dict]:
        out, self.seen = self.seen, []
        while True:
            try:
                msg = self.recv(timeout_s)
            except TimeoutError:
                return out
            if "seq" in msg:
                out.append(msg)

    def alive(self) -> bool:
        return self.command("ping")["type"] == "pong"

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def raw(quiet_sandbox: EmbeddedSandbox):
    client = Raw(quiet_sandbox.ws_url)
    yield client
    client.close()


def test_welcome_carries_show_time_and_protocol(raw: Raw, clock: FakeClock) -> None:
    data = raw.welcome["data"]
    assert data["protocol"] == "v1"
    assert data["server_time"] == clock.now
    assert isinstance(data["show_id"], str) and data["show_id"]
    assert raw.welcome["id"] == "h"


def test_every_command_gets_exactly_one_answer_with_its_id(raw: Raw) -> None:
    ack = raw.command("show.start", {"title": "Friday cards"}, mid="x1")
    assert ack == {"type": "ack", "id": "x1", "data": {"show_id": ack["data"]["show_id"]}}
    err = raw.command("chat.pin", {"msg_id": "nope"}, mid="x2")
    assert err["type"] == "error" and err["id"] == "x2"
    assert err["data"]["code"] == ErrorCode.NOT_FOUND and err["data"]["message"]
    # Nothing else carries those ids afterwards.
    assert all(m.get("id") not in ("x1", "x2") for m in raw.events())


def test_events_have_strictly_increasing_seq(raw: Raw) -> None:
    raw.command("show.start")
    for i in range(5):
        raw.command("chat.send", {"text": f"hello {i}"})
    raw.command("item.show", {"item": {"item_id": "sku-1", "title": "Charizard"}})
    seqs = [m["seq"] for m in raw.events()]
    assert seqs == list(range(1, 8))


def test_vocabulary_round_trip(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    raw.command("show.start")
    msg_id = raw.command("chat.send", {"text": "welcome in!"})["data"]["msg_id"]
    assert raw.command("chat.pin", {"msg_id": msg_id})["type"] == "ack"
    assert raw.command("chat.delete", {"msg_id": msg_id})["type"] == "ack"
    assert raw.command("user.timeout", {"user": "troll", "seconds": 60})["type"] == "ack"
    assert raw.command("user.ban", {"user": "troll2"})["type"] == "ack"
    banned = raw.command("auction.place_bid", {"auction_id": "a1", "user": "troll2", "amount": 1})
    assert banned["data"]["code"] == ErrorCode.BANNED
    assert raw.command("listing.buy_now", {"item_id": "mug", "price": 12.5, "quantity": 2})["type"] == "ack"
    raw.command("listing.purchase", {"item_id": "mug", "buyer": "amy"})
    raw.command("listing.purchase", {"item_id": "mug", "buyer": "bo"})
    assert raw.command("listing.purchase", {"item_id": "mug", "buyer": "cy"})["data"]["code"] == ErrorCode.SOLD_OUT  # the doc's code, not not_found
    g = raw.command("giveaway.start", {"item_id": "pack", "duration_s": 30})["data"]
    raw.command("giveaway.enter", {"giveaway_id": g["giveaway_id"], "user": "amy"})
    raw.command("giveaway.enter", {"giveaway_id": g["giveaway_id"], "user": "amy"})  # once per viewer
    clock.advance(30)
    sandbox_call(quiet_sandbox, quiet_sandbox.server.tick)
    events = raw.events()
    types = [m["type"] for m in events]
    assert types == ["show.started", "chat.message", "chat.pinned", "chat.deleted", "user.timed_out", "user.banned",
                     "listing.opened", "sale", "sale", "listing.sold_out", "giveaway.started", "giveaway.entry",
                     "giveaway.winner"]
    for m in events:  # every event parses into its typed dataclass
        assert p.parse_event(p.decode(json.dumps(m))) is not None
    chat = events[1]["data"]
    assert set(chat) >= {"msg_id", "user", "text", "ts", "badges"}
    assert events[8]["data"] == {"item_id": "mug", "buyer": "bo", "price": 12.5, "quantity_left": 0}
    assert events[-1]["data"]["user"] == "amy"


def test_auction_rules_over_the_wire(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    started = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 20,
                                            "counter_bid_s": 10})
    aid = started["data"]["auction_id"]
    assert started["data"]["ends_at"] == clock.now + 20
    assert raw.command("auction.cancel", {"auction_id": aid})["data"]["code"] == ErrorCode.CANNOT_CANCEL
    second = raw.command("auction.start", {"item_id": "other", "starting_bid": 1, "duration_s": 20})
    assert second["data"]["code"] == ErrorCode.AUCTION_RUNNING
    low = raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 4})
    assert low["data"]["code"] == ErrorCode.BID_TOO_LOW and "5.00" in low["data"]["message"]
    raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 5})
    clock.advance(15)  # 5 s left
    raw.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": 6})
    clock.advance(10)
    sandbox_call(quiet_sandbox, quiet_sandbox.server.tick)
    events = {m["type"]: m for m in raw.events()}
    assert events["auction.started"]["data"]["ends_at"] == started["data"]["ends_at"]
    assert events["auction.bid"]["data"]["ends_at"] == clock.now  # reset to 10 s at the second bid
    assert events["auction.ended"]["data"] == {"auction_id": aid, "item_id": "card", "winner": "bo", "price": 6.0}
    # No bids: ended without winner or price.
    aid2 = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 5})["data"]["auction_id"]
    clock.advance(5)
    sandbox_call(quiet_sandbox, quiet_sandbox.server.tick)
    ended = [m for m in raw.events() if m["type"] == "auction.ended"]
    assert ended[0]["data"] == {"auction_id": aid2, "item_id": "card"}


def test_idempotent_resend_same_answer_no_second_effect(raw: Raw) -> None:
    cmd = {"item_id": "card", "starting_bid": 5, "duration_s": 30}
    first = raw.command("auction.start", cmd, mid="start-1")
    again = raw.command("auction.start", cmd, mid="start-1")
    assert first == again and first["type"] == "ack"
    err1 = raw.command("chat.pin", {"msg_id": "zz"}, mid="pin-1")
    assert raw.command("chat.pin", {"msg_id": "zz"}, mid="pin-1") == err1
    # From another connection too (a client that reconnected).
    other = Raw(raw.ws.request.path and raw_url(raw))
    assert other.command("auction.start", cmd, mid="start-1") == first
    other.close()
    assert [m["type"] for m in raw.events()] == ["auction.started"]


def raw_url(raw: Raw) -> str:
    host, port = raw.ws.remote_address[:2]
    return f"ws://{host}:{port}/v1"


def test_wrong_token_is_refused_clearly(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    c.send({"type": "hello", "id": "h", "data": {"token": "wrong", "resume_from": 0}})
    msg = c.recv()
    assert msg == {"type": "error", "id": "h",
                   "data": {"code": "unauthorized", "message": "the platform refused the token; check it"}}
    with pytest.raises(ConnectionClosed) as closed:
        c.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == p.CLOSE_UNAUTHORIZED


def test_commands_before_hello_are_refused(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    c.send({"type": "show.start", "id": "s", "data": {}})
    assert c.recv()["data"]["code"] == ErrorCode.NOT_AUTHENTICATED
    c.close()


def test_malformed_unknown_and_oversized_are_answered_not_fatal(raw: Raw, quiet_sandbox: EmbeddedSandbox) -> None:
    raw.ws.send("{not json")
    assert raw.recv()["data"]["code"] == ErrorCode.BAD_JSON
    raw.ws.send("[1, 2]")
    assert raw.recv()["data"]["code"] == ErrorCode.BAD_MESSAGE
    raw.ws.send(b"\x00\x01binary")
    assert raw.recv()["data"]["code"] == ErrorCode.BAD_JSON
    raw.send({"type": "auction.start", "id": "bad1", "data": {"item_id": "x", "starting_bid": "five", "duration_s": 30}})
    err = raw.recv()
    assert (err["id"], err["data"]["code"]) == ("bad1", ErrorCode.BAD_MESSAGE)
    assert "starting_bid" in err["data"]["message"]
    # Unknown types: with an id, answered so the sender does not wait; without, ignored.
    assert raw.command("future.thing", {"x": 1})["data"]["code"] == ErrorCode.UNKNOWN_TYPE
    raw.send({"type": "future.event", "data": {}})
    big = json.dumps({"type": "chat.send", "id": "big", "data": {"text": "x" * (p.MAX_MESSAGE_BYTES + 10)}})
    raw.ws.send(big)
    assert raw.recv()["data"]["code"] == ErrorCode.TOO_LARGE
    assert raw.alive()
    # Past the hard frame limit the websocket layer closes that connection; the server lives on.
    with pytest.raises(ConnectionClosed):
        raw.ws.send("x" * (p.HARD_MAX_FRAME_BYTES + 1))
        raw.recv()
    fresh = Raw(quiet_sandbox.ws_url)
    assert fresh.alive()
    fresh.close()


def test_rate_limit_answers_and_recovers(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url)
    for i in range(p.RATE_LIMIT_BURST + 20):
        c.send({"type": "ping", "id": f"p{i}", "data": {}})
    answers = [c.recv() for _ in range(p.RATE_LIMIT_BURST + 20)]
    codes = [a["data"].get("code") for a in answers]
    assert ErrorCode.RATE_LIMITED in codes
    assert all(a["id"] == f"p{i}" for i, a in enumerate(answers))  # still one answer per id
    import time

    time.sleep(0.2)
    assert c.alive()
    c.close()


def test_two_clients_racing_to_start_auctions_exactly_one_wins(quiet_sandbox: EmbeddedSandbox) -> None:
    for round_no in range(5):
        clients = [Raw(quiet_sandbox.ws_url) for _ in range(2)]
        barrier = threading.Barrier(2)
        answers: list[dict] = [{}, {}]

        def go(i: int, clients=clients, barrier=barrier, answers=answers, round_no=round_no) -> None:
            barrier.wait()
            answers[i] = clients[i].command("auction.start", {"item_id": f"item{i}", "starting_bid": 1,
                                                              "duration_s": 10}, mid=f"r{round_no}-{i}")

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a["type"] for a in answers) == ["ack", "error"]
        assert [a["data"]["code"] for a in answers if a["type"] == "error"] == [ErrorCode.AUCTION_RUNNING]
        for c in clients:
            c.close()
        quiet_sandbox.server.clock.advance(10)  # type: ignore[attr-defined]
        sandbox_call(quiet_sandbox, quiet_sandbox.server.tick)


def test_resume_replays_exactly_the_missed_events(quiet_sandbox: EmbeddedSandbox) -> None:
    a = Raw(quiet_sandbox.ws_url)
    for i in range(10):
        a.command("chat.send", {"text": f"m{i}"})
    a.close()
    b = Raw(quiet_sandbox.ws_url, resume_from=4)
    assert b.welcome["data"]["resume_from"] == 4 and b.welcome["data"]["last_seq"] == 10
    assert [m["seq"] for m in b.events()] == list(range(5, 11))
    b.close()
    c = Raw(quiet_sandbox.ws_url, resume_from=99)  # not this show's position: replay everything
    assert c.welcome["data"]["resume_from"] == 0
    assert [m["seq"] for m in c.events()] == list(range(1, 11))
    c.close()


def test_protocol_mismatch_is_refused(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    c.send({"type": "hello", "id": "h", "data": {"token": "test-token", "protocol": "v9"}})
    assert "v1" in c.recv()["data"]["message"]


def test_sandbox_server_is_seeded_and_repeatable() -> None:
    def history(seed: int) -> list[str]:
        clock = FakeClock()
        sb = start_sandbox(SandboxConfig(seed=seed, simulate_viewers=False, clock=clock, chat_per_min=300,
                                         bid_per_min=6, entry_per_min=120, buy_per_min=60), with_ingest=False)
        try:
            def script() -> None:
                s = sb.server
                s._cmd_listing_buy_now(p.ListingBuyNow(item_id="mug", price=10, quantity=3))
                s._cmd_auction_start(p.AuctionStart(item_id="card", starting_bid=5, duration_s=30))
                s._cmd_giveaway_start(p.GiveawayStart(item_id="pack", duration_s=20))
                for _ in range(400):
                    clock.advance(0.25)
                    s.sim_step(0.25)
            sandbox_call(sb, script)
            return [text for _, text in sb.server.history]
        finally:
            sb.stop()

    first, again, other = history(7), history(7), history(8)
    assert first == again
    assert first != other
    kinds = {json.loads(t)["type"] for t in first}
    assert {"chat.message", "auction.bid", "auction.ended", "sale", "giveaway.entry", "giveaway.winner",
            "viewers"} <= kinds
