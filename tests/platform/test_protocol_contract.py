"""docs/protocol.md, promise by promise, against the embedded sandbox over real loopback sockets.

Each test names the section it holds to. What test_protocol_conformance.py and test_hardening.py
already check is not repeated here; this file covers the rest of the document: the envelope's
limits, the hello's refusals, resuming at the history's edges, every command's fields, defaults,
limits and events, the selling rules over the wire, the frame-size and rate limits, and the
error codes. The sandbox runs on a fake clock, so no assert depends on timing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from websockets.exceptions import ConnectionClosed

from seller_studio.platform import protocol as p
from seller_studio.platform.client import CommandError, PlatformClient
from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox, start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from tests.helpers import free_port
from tests.platform.conftest import FakeClock, fast_policy, run, sandbox_call
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def raw(quiet_sandbox: EmbeddedSandbox):
    client = Raw(quiet_sandbox.ws_url)
    yield client
    client.close()


def _code(answer: dict) -> str | None:
    return answer["data"].get("code") if answer["type"] == "error" else None


def _events(c: Raw) -> list[dict]:
    """Every event sent so far: the server answers a command after the events before it, so the pong of
    a ping closes the list (no waiting on a timeout)."""
    c.command("ping")
    out, c.seen = c.seen, []
    return out


def _tick(sandbox: EmbeddedSandbox) -> None:
    sandbox_call(sandbox, sandbox.server.tick)


def _of(events: list[dict], mtype: str) -> list[dict]:
    return [e["data"] for e in events if e["type"] == mtype]


# --- Transport and envelope ---------------------------------------------------------------------------


def test_data_may_be_omitted_and_ping_answers_pong_with_server_time(raw: Raw, clock: FakeClock) -> None:
    raw.send({"type": "ping", "id": "p-no-data"})
    assert raw.answer("p-no-data") == {"type": "pong", "id": "p-no-data", "data": {"server_time": clock.now}}
    raw.send({"type": "show.start", "id": "s-no-data"})
    assert raw.answer("s-no-data")["type"] == "ack"


@pytest.mark.parametrize("bad_id", ["x" * 65, "", 7, ["a"], {"a": 1}, True])
def test_a_command_id_must_be_1_to_64_characters(raw: Raw, bad_id: object) -> None:
    raw.send({"type": "chat.send", "id": bad_id, "data": {"text": "never shown"}})
    answers = [m for m in raw.drain() if "seq" not in m]
    assert len(answers) == 1 and answers[0]["type"] == "error", answers
    assert answers[0]["data"]["code"] == ErrorCode.BAD_MESSAGE and "`id`" in answers[0]["data"]["message"]
    assert "id" not in answers[0]  # the id was not a valid id: the answer cannot carry it
    assert raw.command("chat.send", {"text": "shown"}, mid="x" * 64)["type"] == "ack"  # 64 is fine
    assert [e["data"]["text"] for e in _events(raw) if e["type"] == "chat.message"] == ["shown"]


def test_a_resend_is_answered_from_memory_without_reading_its_payload(raw: Raw) -> None:
    first = raw.command("chat.send", {"text": "first"}, mid="c-1")
    assert first["type"] == "ack"
    # Same id, another payload (even an invalid one): the first answer again, and no effect.
    assert raw.command("chat.send", {"text": ""}, mid="c-1") == first
    assert raw.command("chat.send", {"text": "second"}, mid="c-1") == first
    assert [e["data"]["text"] for e in _events(raw) if e["type"] == "chat.message"] == ["first"]


def test_the_server_keeps_the_last_10000_answers() -> None:
    """The 10 000th answer back is still re-sent from memory; one more and the oldest is forgotten."""
    sandbox = start_sandbox(SandboxConfig(token="test-token", simulate_viewers=False, clock=FakeClock(),
                                          rate_per_s=1e9, rate_burst=10 ** 9), with_ingest=False)
    c = Raw(sandbox.ws_url)
    try:
        first = c.command("chat.send", {"text": "once"}, mid="oldest")  # answer 1
        for start in range(0, 9_999, 2_000):  # answers 2..10 000: pipelined pings
            batch = range(start, min(start + 2_000, 9_999))
            for i in batch:
                c.ws.send(f'{{"type":"ping","id":"p{i}"}}')
            for _ in batch:
                c.recv()
        assert c.command("chat.send", {"text": "once"}, mid="oldest") == first  # 10 000 kept: still known
        c.command("ping", mid="one-more")  # answer 10 001 pushes the oldest out
        again = c.command("chat.send", {"text": "once"}, mid="oldest")
        assert again["type"] == "ack" and again["data"]["msg_id"] != first["data"]["msg_id"]
        assert [e["data"]["text"] for e in _events(c) if e["type"] == "chat.message"] == ["once", "once"]
    finally:
        c.close()
        sandbox.stop()


# --- Connecting and resuming --------------------------------------------------------------------------


def test_another_protocol_version_is_bad_message_then_close_4002(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    c.send({"type": "hello", "id": "h", "data": {"token": "test-token", "resume_from": 0, "protocol": "v2"}})
    msg = c.recv()
    assert (msg["type"], msg["id"], msg["data"]["code"]) == ("error", "h", ErrorCode.BAD_MESSAGE)
    with pytest.raises(ConnectionClosed) as closed:
        c.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == p.CLOSE_PROTOCOL_MISMATCH == 4002


def test_welcome_fields_and_its_id(raw: Raw, clock: FakeClock) -> None:
    data = raw.welcome["data"]
    assert set(data) >= {"show_id", "server_time", "protocol", "last_seq", "resume_from", "currency"}
    assert (data["protocol"], data["last_seq"], data["resume_from"], data["currency"]) == ("v1", 0, 0, "USD")


def test_resume_from_older_than_the_kept_100000_events_replays_what_is_kept(quiet_sandbox: EmbeddedSandbox) -> None:
    server = quiet_sandbox.server

    def publish_many() -> None:
        for i in range(100_001):
            server.publish("viewers", {"count": i})

    sandbox_call(quiet_sandbox, publish_many)
    c = Raw(quiet_sandbox.ws_url, resume_from=0)  # seq 1 is no longer kept
    try:
        assert c.welcome["data"]["last_seq"] == 100_001
        assert c.welcome["data"]["resume_from"] == 1  # where the replay starts: the client's new position
        first = c.recv()
        assert (first["type"], first["seq"], first["data"]) == ("viewers", 2, {"count": 1})
    finally:
        c.ws.close_timeout = 0.2  # 50 000 frames wait behind the server's close: do not read them all
        c.close()


def test_a_client_50000_events_behind_is_closed_4008_and_resumes_without_a_gap(
        quiet_sandbox: EmbeddedSandbox) -> None:
    server = quiet_sandbox.server
    c = Raw(quiet_sandbox.ws_url)
    total = 50_100

    def burst() -> None:  # one step on the loop: the connection's queue cannot drain meanwhile
        for i in range(total):
            server.publish("viewers", {"count": i})

    sandbox_call(quiet_sandbox, burst)
    seqs: list[int] = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            seqs.append(c.recv()["seq"])
    assert closed.value.rcvd is not None and closed.value.rcvd.code == p.CLOSE_SLOW_CONSUMER == 4008
    assert seqs == list(range(1, len(seqs) + 1))  # what arrived before the close has no hole
    assert 49_000 <= len(seqs) < total
    again = Raw(quiet_sandbox.ws_url, resume_from=seqs[-1])
    try:
        rest = [e["seq"] for e in _events(again)]
        assert rest == list(range(seqs[-1] + 1, total + 1))
    finally:
        again.close()


# --- Commands -----------------------------------------------------------------------------------------


def test_show_start_title_limits_and_show_started(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    too_long = raw.command("show.start", {"title": "t" * 201})
    assert _code(too_long) == ErrorCode.BAD_MESSAGE and "title" in too_long["data"]["message"]
    ack = raw.command("show.start", {"title": "t" * 200, "x_newer_field": 1})  # new optional fields are fine
    assert ack["data"] == {"show_id": quiet_sandbox.server.show_id}
    [started] = _of(_events(raw), "show.started")
    assert started == {"show_id": quiet_sandbox.server.show_id, "started_at": clock.now, "title": "t" * 200,
                       "currency": "USD"}


def test_an_empty_title_is_allowed(raw: Raw) -> None:
    assert raw.command("show.start", {"title": ""})["type"] == "ack"


def test_show_end_waits_for_the_running_auction_then_ends_the_selling(
        raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    raw.command("show.start")
    raw.command("listing.buy_now", {"item_id": "mug", "price": 5, "quantity": 3})
    raw.command("giveaway.start", {"item_id": "pack", "duration_s": 300})
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 30})["data"]["auction_id"]
    assert _code(raw.command("show.end")) == ErrorCode.AUCTION_RUNNING
    clock.advance(30)  # the auction's clock ran out; no timer tick has reported it yet
    ack = raw.command("show.end")
    assert ack["type"] == "ack" and ack["data"] == {"show_id": quiet_sandbox.server.show_id}
    events = _events(raw)
    types = [e["type"] for e in events]
    assert types.index("auction.ended") < types.index("show.ended")
    assert _of(events, "show.ended") == [{"show_id": quiet_sandbox.server.show_id, "ended_at": clock.now}]
    assert _of(events, "auction.ended") == [{"auction_id": aid, "item_id": "card"}]
    # After show.end nothing is sold: `show_not_live`.
    for mtype, data in [("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 30}),
                        ("listing.buy_now", {"item_id": "mug", "price": 5}),
                        ("giveaway.start", {"item_id": "pack"}),
                        ("listing.purchase", {"item_id": "mug", "buyer": "amy"}),
                        ("giveaway.enter", {"giveaway_id": "g1", "user": "amy"})]:
        assert _code(raw.command(mtype, data)) == ErrorCode.SHOW_NOT_LIVE, mtype
    assert not _of(_events(raw), "sale")


def test_item_show_puts_the_item_on_screen(raw: Raw) -> None:
    item = {"item_id": "sku-9", "title": "Charizard", "price": 12.5, "x": [1, {"y": None}]}
    assert raw.command("item.show", {"item": item})["data"] == {}
    assert _of(_events(raw), "item.shown") == [{"item": item}]
    for bad in ({"title": "no id"}, {"item_id": ""}, {"item_id": "x" * 65}, {"item_id": 5}):
        answer = raw.command("item.show", {"item": bad})
        assert _code(answer) == ErrorCode.BAD_MESSAGE and "item.item_id" in answer["data"]["message"], bad
    assert _code(raw.command("item.show", {})) == ErrorCode.BAD_MESSAGE
    assert not _events(raw)


def test_chat_send_limits_and_the_hosts_message(raw: Raw, clock: FakeClock) -> None:
    for text in ("", "x" * 501):
        answer = raw.command("chat.send", {"text": text})
        assert _code(answer) == ErrorCode.BAD_MESSAGE and "text" in answer["data"]["message"]
    assert _code(raw.command("chat.send", {"text": "hi", "reply_to": "x" * 65})) == ErrorCode.BAD_MESSAGE
    assert _code(raw.command("chat.send", {"text": "hi", "reply_to": ""})) == ErrorCode.BAD_MESSAGE
    first = raw.command("chat.send", {"text": "x" * 500})["data"]["msg_id"]
    one = raw.command("chat.send", {"text": " "})  # 1 character is within 1-500
    assert one["type"] == "ack"
    reply = raw.command("chat.send", {"text": "thanks!", "reply_to": first})["data"]["msg_id"]
    messages = _of(_events(raw), "chat.message")
    assert [m["msg_id"] for m in messages] == [first, one["data"]["msg_id"], reply]
    for m in messages:
        assert (m["user"], m["badges"], m["ts"]) == ("seller", ["host"], clock.now)
    assert "reply_to" not in messages[0] and messages[2]["reply_to"] == first


def test_chat_pin_and_delete_know_only_live_messages(raw: Raw) -> None:
    msg_id = raw.command("chat.send", {"text": "pin me"})["data"]["msg_id"]
    assert raw.command("chat.pin", {"msg_id": msg_id})["data"] == {}
    assert raw.command("chat.delete", {"msg_id": msg_id})["data"] == {}
    events = _events(raw)
    assert _of(events, "chat.pinned") == [{"msg_id": msg_id}] and _of(events, "chat.deleted") == [{"msg_id": msg_id}]
    assert _code(raw.command("chat.delete", {"msg_id": msg_id})) == ErrorCode.NOT_FOUND
    assert _code(raw.command("chat.pin", {"msg_id": msg_id})) == ErrorCode.NOT_FOUND


def test_user_timeout_limits_and_its_end(raw: Raw, clock: FakeClock) -> None:
    for seconds in (0, 86_401, 1.5, "60"):
        assert _code(raw.command("user.timeout", {"user": "amy", "seconds": seconds})) == ErrorCode.BAD_MESSAGE
    assert raw.command("user.timeout", {"user": "bo", "seconds": 86_400})["data"] == {"until": clock.now + 86_400}
    assert raw.command("user.timeout", {"user": "amy", "seconds": 60})["data"] == {"until": clock.now + 60}
    assert _of(_events(raw), "user.timed_out")[-1] == {"user": "amy", "until": clock.now + 60}
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 1, "duration_s": 600})["data"]["auction_id"]
    raw.command("listing.buy_now", {"item_id": "mug", "price": 5, "quantity": 5})
    gid = raw.command("giveaway.start", {"item_id": "pack", "duration_s": 300})["data"]["giveaway_id"]
    acting = [("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 1}),
              ("listing.purchase", {"item_id": "mug", "buyer": "amy"}),
              ("giveaway.enter", {"giveaway_id": gid, "user": "amy"})]
    for mtype, data in acting:
        assert _code(raw.command(mtype, data)) == ErrorCode.BANNED, mtype
    clock.advance(60)  # the timeout is over
    for mtype, data in acting:
        assert raw.command(mtype, data)["type"] == "ack", mtype
    raw.command("user.ban", {"user": "cy"})
    assert _of(_events(raw), "user.banned") == [{"user": "cy"}]
    for mtype, data in acting:
        data = {k: ("cy" if v == "amy" else v) for k, v in data.items()}
        assert _code(raw.command(mtype, data)) == ErrorCode.BANNED, mtype


@pytest.mark.parametrize(("field", "value"), [
    ("starting_bid", 0.99), ("starting_bid", 1.001), ("starting_bid", "5"), ("starting_bid", None),
    ("duration_s", 0.5), ("duration_s", 3601), ("counter_bid_s", 0.5), ("counter_bid_s", 61),
    ("sudden_death", "yes"), ("item_id", "x" * 65), ("item_id", ""),
])
def test_auction_start_limits(raw: Raw, field: str, value: object) -> None:
    data = {"item_id": "card", "starting_bid": 5, "duration_s": 30, field: value}
    answer = raw.command("auction.start", data)
    assert _code(answer) == ErrorCode.BAD_MESSAGE and field in answer["data"]["message"], answer
    assert not _events(raw)


def test_auction_start_defaults_edges_and_event(raw: Raw, clock: FakeClock) -> None:
    ack = raw.command("auction.start", {"item_id": "card", "starting_bid": 1, "duration_s": 3600})["data"]
    assert set(ack) == {"auction_id", "ends_at"} and ack["ends_at"] == clock.now + 3600
    [started] = _of(_events(raw), "auction.started")
    assert started == {"auction_id": ack["auction_id"], "item_id": "card", "ends_at": clock.now + 3600,
                       "starting_bid": 1.0, "counter_bid_s": 10, "sudden_death": False}
    clock.advance(3600)
    edge = raw.command("auction.start", {"item_id": "card", "starting_bid": 1_000_000, "duration_s": 1,
                                         "counter_bid_s": 60, "sudden_death": True})
    assert edge["type"] == "ack", edge


def test_auction_cancel_is_never_acked(raw: Raw, clock: FakeClock) -> None:
    assert _code(raw.command("auction.cancel", {"auction_id": "a99"})) == ErrorCode.NOT_FOUND
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 20})["data"]["auction_id"]
    assert _code(raw.command("auction.cancel", {"auction_id": aid})) == ErrorCode.CANNOT_CANCEL
    clock.advance(20)
    assert _code(raw.command("auction.cancel", {"auction_id": aid})) == ErrorCode.AUCTION_NOT_RUNNING
    assert _code(raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 5})) == \
        ErrorCode.AUCTION_NOT_RUNNING


@pytest.mark.parametrize(("floor", "step"), [(1, 1), (30, 2), (50, 3), (100, 5), (300, 10), (1_000, 20), (2_000, 50)])
def test_increment_bands_over_the_wire(raw: Raw, floor: int, step: int) -> None:
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": floor, "duration_s": 60})["data"]["auction_id"]
    low = raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": floor - 0.01})
    assert _code(low) == ErrorCode.BID_TOO_LOW and low["data"]["message"].endswith(f"${floor:,.2f}")  # the starting bid
    assert raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": floor})["type"] == "ack"
    low = raw.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": floor + step - 0.01})
    assert _code(low) == ErrorCode.BID_TOO_LOW
    assert low["data"]["message"] == f"the next bid must be at least ${floor + step:,.2f}"  # in the show's currency
    ok = raw.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": floor + step})
    assert ok["data"]["leader"] == "bo" and ok["data"]["price"] == floor + step
    bids = _of(_events(raw), "auction.bid")
    assert [(b["user"], b["amount"], b["next_min_bid"], b["is_proxy"]) for b in bids] == [
        ("amy", floor, floor + step, False),
        ("bo", floor + step, floor + 2 * step, False)]


def test_bids_in_the_last_10_s_reset_the_clock_unless_sudden_death(
        raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 1, "duration_s": 60,
                                        "counter_bid_s": 30})["data"]["auction_id"]
    ends_at = clock.now + 60
    clock.advance(50)  # exactly 10 s left: not yet counter-bid time
    assert raw.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 1})["data"]["ends_at"] == ends_at
    clock.advance(0.5)  # 9.5 s left: under 10 s, the clock goes to now + counter_bid_s
    assert raw.command("auction.place_bid", {"auction_id": aid, "user": "cy", "amount": 2})["data"]["ends_at"] == \
        clock.now + 30
    clock.advance(25.5)  # 4.5 s left
    ack = raw.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": 3})["data"]
    assert ack["ends_at"] == clock.now + 30
    assert _of(_events(raw), "auction.bid")[-1]["ends_at"] == clock.now + 30
    clock.advance(30)
    _tick(quiet_sandbox)
    assert _of(_events(raw), "auction.ended") == [{"auction_id": aid, "item_id": "card", "winner": "bo", "price": 3}]

    sd = raw.command("auction.start", {"item_id": "card", "starting_bid": 1, "duration_s": 20,
                                       "sudden_death": True})["data"]
    clock.advance(19)
    assert raw.command("auction.place_bid", {"auction_id": sd["auction_id"], "user": "amy",
                                             "amount": 1})["data"]["ends_at"] == sd["ends_at"]
    clock.advance(1)  # exactly at ends_at: over
    late = raw.command("auction.place_bid", {"auction_id": sd["auction_id"], "user": "bo", "amount": 2})
    assert _code(late) == ErrorCode.AUCTION_NOT_RUNNING
    assert _of(_events(raw), "auction.ended") == [{"auction_id": sd["auction_id"], "item_id": "card",
                                                  "winner": "amy", "price": 1}]


def test_an_auction_without_bids_ends_not_sold_and_runs_again(raw: Raw, clock: FakeClock,
                                                              quiet_sandbox: EmbeddedSandbox) -> None:
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 5})["data"]["auction_id"]
    clock.advance(5)
    _tick(quiet_sandbox)
    assert _of(_events(raw), "auction.ended") == [{"auction_id": aid, "item_id": "card"}]
    again = raw.command("auction.start", {"item_id": "card", "starting_bid": 5, "duration_s": 5})
    assert again["type"] == "ack" and again["data"]["auction_id"] != aid


def test_max_bids_over_the_wire(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    aid = raw.command("auction.start", {"item_id": "card", "starting_bid": 10, "duration_s": 60})["data"]["auction_id"]

    def bid(user: str, amount: float, max_amount: float | None = None) -> dict:
        data = {"auction_id": aid, "user": user, "amount": amount}
        if max_amount is not None:
            data["max_amount"] = max_amount
        answer = raw.command("auction.place_bid", data)
        assert answer["type"] == "ack", answer
        return answer["data"]

    def placed() -> list[tuple[str, float, bool]]:
        return [(b["user"], b["amount"], b["is_proxy"]) for b in _of(_events(raw), "auction.bid")]

    assert bid("amy", 10, 50)["leader"] == "amy"
    assert placed() == [("amy", 10, False)]
    # A challenger whose max does not beat the standing max is outbid at once by the platform.
    assert bid("bo", 20) == {"leader": "amy", "price": 21, "ends_at": clock.now + 60}
    assert placed() == [("bo", 20, False), ("amy", 21, True)]
    # A tie goes to the earlier max.
    assert bid("cy", 22, 50)["leader"] == "amy"
    assert placed() == [("cy", 50, False), ("amy", 50, True)]
    # A higher max wins at one increment above the old max (50 + 3) ...
    assert bid("dee", 53, 100) == {"leader": "dee", "price": 53, "ends_at": clock.now + 60}
    assert placed() == [("dee", 53, False)]
    # ... or at the challenger's amount when that is higher; the old max is bid for its owner first.
    assert bid("eve", 200, 300)["price"] == 200
    assert placed() == [("dee", 100, True), ("eve", 200, False)]
    clock.advance(60)
    _tick(quiet_sandbox)
    assert _of(_events(raw), "auction.ended") == [{"auction_id": aid, "item_id": "card", "winner": "eve", "price": 200}]


@pytest.mark.parametrize(("field", "value"), [
    ("price", 0), ("price", 0.001), ("price", 12.345), ("price", -1), ("price", "5"),
    ("quantity", 0), ("quantity", 100_001), ("quantity", 1.5), ("item_id", "x" * 65),
])
def test_buy_now_limits(raw: Raw, field: str, value: object) -> None:
    answer = raw.command("listing.buy_now", {"item_id": "mug", "price": 5, field: value})
    assert _code(answer) == ErrorCode.BAD_MESSAGE and field in answer["data"]["message"], answer


def test_buy_now_defaults_and_edges(raw: Raw) -> None:
    assert raw.command("listing.buy_now", {"item_id": "mug", "price": 0.01})["data"] == {"item_id": "mug"}
    assert raw.command("listing.buy_now", {"item_id": "lamp", "price": 1_000_000, "quantity": 100_000})["type"] == "ack"
    assert _of(_events(raw), "listing.opened") == [{"item_id": "mug", "price": 0.01, "quantity": 1},
                                                   {"item_id": "lamp", "price": 1_000_000, "quantity": 100_000}]


def test_money_messages_name_the_maximum_in_the_shows_currency_in_plain_text() -> None:
    sandbox = start_sandbox(SandboxConfig(token="test-token", simulate_viewers=False, clock=FakeClock(),
                                          currency="NOK"), with_ingest=False)
    c = Raw(sandbox.ws_url)
    try:
        answer = c.command("listing.buy_now", {"item_id": "mug", "price": 10 ** 400})
        assert _code(answer) == ErrorCode.BAD_MESSAGE
        assert "must be at most NOK 1,000,000.00" in answer["data"]["message"]  # a plain space, as documented
        low = c.command("auction.start", {"item_id": "card", "starting_bid": 0.5, "duration_s": 30})
        assert "must be at least NOK 1.00" in low["data"]["message"]
        aid = c.command("auction.start", {"item_id": "card", "starting_bid": 1_000, "duration_s": 30})["data"]["auction_id"]
        c.command("auction.place_bid", {"auction_id": aid, "user": "amy", "amount": 1_000})
        bid = c.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": 1_001})
        assert bid["data"] == {"code": ErrorCode.BID_TOO_LOW, "message": "the next bid must be at least NOK 1,020.00"}
    finally:
        c.close()
        sandbox.stop()


def test_giveaway_window_draw_and_entries(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    for bad in (0.5, 301, "60"):
        assert _code(raw.command("giveaway.start", {"item_id": "pack", "duration_s": bad})) == ErrorCode.BAD_MESSAGE
    ack = raw.command("giveaway.start", {"item_id": "pack"})["data"]  # default: 60 s
    gid = ack["giveaway_id"]
    assert ack["ends_at"] == clock.now + 60
    assert _code(raw.command("giveaway.start", {"item_id": "other"})) == ErrorCode.GIVEAWAY_RUNNING
    assert raw.command("giveaway.enter", {"giveaway_id": gid, "user": "amy"})["data"] == {"entries": 1}
    assert raw.command("giveaway.enter", {"giveaway_id": gid, "user": "amy"})["data"] == {"entries": 1}
    assert raw.command("giveaway.enter", {"giveaway_id": gid, "user": "bo"})["data"] == {"entries": 2}
    drawn = raw.command("giveaway.draw", {"giveaway_id": gid})["data"]
    assert drawn["user"] in ("amy", "bo")
    events = _events(raw)
    assert _of(events, "giveaway.started") == [{"giveaway_id": gid, "item_id": "pack", "ends_at": clock.now + 60}]
    assert _of(events, "giveaway.entry") == [{"giveaway_id": gid, "user": "amy", "entries": 1},
                                             {"giveaway_id": gid, "user": "bo", "entries": 2}]
    assert _of(events, "giveaway.winner") == [{"giveaway_id": gid, "item_id": "pack", "user": drawn["user"]}]
    clock.advance(60)  # drawn already: nothing more at ends_at
    _tick(quiet_sandbox)
    assert not _events(raw)
    assert _code(raw.command("giveaway.draw", {"giveaway_id": gid})) == ErrorCode.NOT_FOUND
    assert _code(raw.command("giveaway.enter", {"giveaway_id": gid, "user": "cy"})) == ErrorCode.NOT_FOUND


def test_a_giveaway_nobody_entered_has_no_winner(raw: Raw, clock: FakeClock, quiet_sandbox: EmbeddedSandbox) -> None:
    gid = raw.command("giveaway.start", {"item_id": "pack", "duration_s": 1})["data"]["giveaway_id"]
    assert raw.command("giveaway.draw", {"giveaway_id": gid})["data"] == {"user": None}
    assert _of(_events(raw), "giveaway.winner") == [{"giveaway_id": gid, "item_id": "pack"}]
    gid2 = raw.command("giveaway.start", {"item_id": "pack", "duration_s": 300})["data"]["giveaway_id"]
    clock.advance(300)
    _tick(quiet_sandbox)
    assert _of(_events(raw), "giveaway.winner") == [{"giveaway_id": gid2, "item_id": "pack"}]


def test_the_giveaway_window_closes_at_ends_at_tick_or_not(raw: Raw, clock: FakeClock) -> None:
    gid = raw.command("giveaway.start", {"item_id": "pack", "duration_s": 10})["data"]["giveaway_id"]
    raw.command("giveaway.enter", {"giveaway_id": gid, "user": "amy"})
    clock.advance(10)  # the window has closed; no timer tick has run
    assert _code(raw.command("giveaway.enter", {"giveaway_id": gid, "user": "late"})) == ErrorCode.NOT_FOUND
    assert raw.command("giveaway.start", {"item_id": "next"})["type"] == "ack"  # the old one is not running
    events = _events(raw)
    assert _of(events, "giveaway.winner") == [{"giveaway_id": gid, "item_id": "pack", "user": "amy"}]
    assert [e["type"] for e in events if e["type"].startswith("giveaway.")][-2:] == ["giveaway.winner",
                                                                                     "giveaway.started"]


@pytest.mark.parametrize(("mtype", "data"), [
    ("auction.place_bid", {"auction_id": "a99", "user": "amy", "amount": 5}),
    ("auction.cancel", {"auction_id": "a99"}),
    ("listing.purchase", {"item_id": "never-listed", "buyer": "amy"}),
    ("giveaway.enter", {"giveaway_id": "g99", "user": "amy"}),
    ("giveaway.draw", {"giveaway_id": "g99"}),
    ("chat.pin", {"msg_id": "m99"}),
    ("chat.delete", {"msg_id": "m99"}),
])
def test_unknown_ids_are_not_found(raw: Raw, mtype: str, data: dict) -> None:
    answer = raw.command(mtype, data)
    assert _code(answer) == ErrorCode.NOT_FOUND and answer["data"]["message"]


@pytest.mark.parametrize(("mtype", "data", "field"), [
    ("item.show", {"item": {"item_id": "x" * 65}}, "item.item_id"),
    ("auction.start", {"item_id": "", "starting_bid": 5, "duration_s": 30}, "item_id"),
    ("auction.cancel", {"auction_id": "x" * 65}, "auction_id"),
    ("auction.place_bid", {"auction_id": "a1", "user": "x" * 65, "amount": 5}, "user"),
    ("auction.place_bid", {"auction_id": "", "user": "amy", "amount": 5}, "auction_id"),
    ("chat.pin", {"msg_id": "x" * 65}, "msg_id"),
    ("chat.delete", {"msg_id": ""}, "msg_id"),
    ("user.timeout", {"user": "", "seconds": 5}, "user"),
    ("user.ban", {"user": "x" * 65}, "user"),
    ("listing.buy_now", {"item_id": "", "price": 5}, "item_id"),
    ("listing.purchase", {"item_id": "mug", "buyer": "x" * 65}, "buyer"),
    ("giveaway.start", {"item_id": "x" * 65}, "item_id"),
    ("giveaway.enter", {"giveaway_id": "g1", "user": ""}, "user"),
    ("giveaway.draw", {"giveaway_id": "x" * 65}, "giveaway_id"),
])
def test_ids_and_user_names_are_1_to_64_characters(raw: Raw, mtype: str, data: dict, field: str) -> None:
    answer = raw.command(mtype, data)
    assert _code(answer) == ErrorCode.BAD_MESSAGE and f"`{field}`" in answer["data"]["message"], answer


def test_64_character_ids_and_names_are_accepted(raw: Raw) -> None:
    long_id, long_name = "i" * 64, "u" * 64
    assert raw.command("listing.buy_now", {"item_id": long_id, "price": 5})["type"] == "ack"
    assert raw.command("listing.purchase", {"item_id": long_id, "buyer": long_name})["type"] == "ack"
    assert raw.command("user.timeout", {"user": long_name, "seconds": 1})["type"] == "ack"


# --- Limits and robustness ----------------------------------------------------------------------------


def _item_show_frame(mid: str, size_bytes: int) -> str:
    head = {"type": "item.show", "id": mid, "data": {"item": {"item_id": "big", "pad": ""}}}
    frame = json.dumps(head, separators=(",", ":"))
    frame = frame.replace('"pad":""', '"pad":"' + "x" * (size_bytes - len(frame)) + '"')
    assert len(frame.encode()) == size_bytes
    return frame


def test_a_64_KiB_frame_is_read_and_a_bigger_one_is_too_large_with_its_id(raw: Raw) -> None:
    raw.ws.send(_item_show_frame("exactly", 64 * 1024))
    assert raw.answer("exactly")["type"] == "ack"
    raw.ws.send(_item_show_frame("over", 64 * 1024 + 1))
    answer = raw.answer("over")
    assert (answer["type"], answer["data"]["code"]) == ("error", ErrorCode.TOO_LARGE)
    assert [e["data"]["item"]["item_id"] for e in _events(raw) if e["type"] == "item.shown"] == ["big"]
    assert raw.alive()


def test_rate_limited_messages_carry_their_id_have_no_effect_and_can_be_retried(
        quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url)
    try:
        n = 400  # sent in far less than the (400 - 100) / 50 = 6 s the limit would allow them in
        t0 = time.monotonic()
        for i in range(n):
            c.send({"type": "chat.send", "id": f"c{i}", "data": {"text": f"line {i}"}})
        answers = {}
        events = []
        while len(answers) < n:
            msg = c.recv()
            if "seq" in msg:
                events.append(msg)
            else:
                answers[msg["id"]] = msg
        elapsed_s = time.monotonic() - t0
        limited = [mid for mid, a in answers.items() if _code(a) == ErrorCode.RATE_LIMITED]
        acked = [mid for mid, a in answers.items() if a["type"] == "ack"]
        assert len(acked) + len(limited) == n
        # At most the burst plus 50 a second over the time they took (a bound, not a timing guess).
        assert len(acked) <= 100 + 50 * elapsed_s, (len(acked), elapsed_s)
        assert all(answers[f"c{i}"]["type"] == "ack" for i in range(99))  # a burst of 100 (the hello was one)
        assert limited  # the rest did not all pass
        events += c.events(0.2)
        shown = {e["data"]["text"] for e in events if e["type"] == "chat.message"}
        assert shown == {f"line {mid[1:]}" for mid in acked}  # a refused message had no effect
        time.sleep(0.1)  # the bucket refills at 50 a second: retrying later works, with the same id
        retried = c.command("chat.send", {"text": "retried"}, mid=limited[0])
        assert retried["type"] == "ack"
    finally:
        c.close()


def test_unknown_command_types_are_logged(raw: Raw, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="seller_studio.platform.sandbox.server")
    answer = raw.command("shop.future_thing", {"a": 1})
    assert _code(answer) == ErrorCode.UNKNOWN_TYPE
    raw.send({"type": "shop.future_event", "data": {}})
    assert raw.alive()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "shop.future_thing" in logged and "shop.future_event" in logged


def test_tokens_never_appear_in_the_logs(quiet_sandbox: EmbeddedSandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the studio's log level (DEBUG would add the websockets library's frame dumps)
    wrong = Raw(quiet_sandbox.ws_url, hello=False)
    wrong.send({"type": "hello", "id": "h", "data": {"token": "wrong-secret-token", "resume_from": 0}})
    assert wrong.recv()["data"]["code"] == ErrorCode.UNAUTHORIZED
    wrong.close()
    right = Raw(quiet_sandbox.ws_url)
    right.command("show.start")
    right.close()
    time.sleep(0.05)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "wrong-secret-token" not in logged and "test-token" not in logged


# --- The studio's client ------------------------------------------------------------------------------


async def _connected(sandbox: EmbeddedSandbox, **kw) -> tuple[PlatformClient, list[p.Event], list[str]]:
    client = PlatformClient(sandbox.ws_url, "test-token", policy=fast_policy(), **kw)
    events: list[p.Event] = []
    states: list[str] = []
    client.subscribe(events.append)
    client.status.subscribe(lambda _name, payload: states.append(payload["state"]))
    await client.connect()
    return client, events, states


async def _until(cond, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_the_client_refuses_a_command_over_64_KiB_and_stays_connected(quiet_sandbox: EmbeddedSandbox) -> None:
    async def main() -> None:
        client, _, states = await _connected(quiet_sandbox)
        with pytest.raises(CommandError) as err:
            await client.command("item.show", {"item": {"item_id": "big", "pad": "x" * (64 * 1024)}})
        assert err.value.code == ErrorCode.TOO_LARGE
        assert client.is_connected and states == ["connecting", "connected"]
        assert (await client.show_item({"item_id": "small"})) == {}
        await client.close()

    run(main())
    assert [json.loads(t)["data"]["item"]["item_id"] for _, t in quiet_sandbox.server.history] == ["small"]


def test_a_frame_over_1_MiB_is_closed_1009_and_the_client_resumes_without_a_gap(quiet_sandbox: EmbeddedSandbox) -> None:
    async def main() -> None:
        client, events, states = await _connected(quiet_sandbox)
        await client.start_show()
        await client.send_raw("x" * (p.HARD_MAX_FRAME_BYTES + 1))
        buyer = Raw(quiet_sandbox.ws_url)
        for i in range(5):
            buyer.command("chat.send", {"text": f"while away {i}"})
        buyer.close()
        await _until(lambda: states[-1] == "connected" and "reconnecting" in states)
        await _until(lambda: client.last_seq == quiet_sandbox.server.seq)
        assert [e.seq for e in events] == list(range(1, quiet_sandbox.server.seq + 1)) and client.gaps_seen == 0
        assert (await client.ping()) < 5  # commands work on the new connection
        await client.close()

    run(main())


def test_the_client_takes_welcome_resume_from_as_its_new_position() -> None:
    """The platform came back as another show (a restarted sandbox): it replays everything it has and
    says so in welcome.resume_from; the client starts over there instead of waiting for seq 6."""
    port = free_port()
    first = start_sandbox(SandboxConfig(port=port, token="test-token", simulate_viewers=False, show_id="first"),
                          with_ingest=False)

    async def main() -> None:
        client, events, _ = await _connected(first)
        for i in range(5):
            await client.send_chat(f"first show {i}")
        await _until(lambda: client.last_seq == 5)
        await asyncio.to_thread(first.stop)
        second = await asyncio.to_thread(start_sandbox, SandboxConfig(
            port=port, token="test-token", simulate_viewers=False, show_id="second"), with_ingest=False)
        try:
            c = Raw(second.ws_url)
            c.command("chat.send", {"text": "second show"})
            c.close()
            client.reconnect_now()
            await _until(lambda: client.show_id == "second" and client.last_seq == 1)
            assert [(e.seq, e.text) for e in events][-2:] == [(5, "first show 4"), (1, "second show")]  # type: ignore[attr-defined]
            assert client.gaps_seen == 0
            await client.close()
        finally:
            await asyncio.to_thread(second.stop)

    run(main(), 30)


def test_timeout_and_closed_are_the_clients_own_codes(quiet_sandbox: EmbeddedSandbox) -> None:
    assert PlatformClient("ws://127.0.0.1:1/v1", "t").ack_timeout_s == 5.0

    async def main() -> None:
        client, _, _ = await _connected(quiet_sandbox)
        quiet_sandbox.server.ack_delay_s = 1.0  # the command takes effect now; its answer comes 1 s late
        with pytest.raises(CommandError) as err:
            await client.command("chat.send", {"text": "once"}, command_id="slow-1", timeout_s=0.1)
        assert err.value.code == "timeout"
        # Re-sent with the same id: the first answer, no second effect.
        again = await client.command("chat.send", {"text": "once"}, command_id="slow-1", timeout_s=10)
        assert again["msg_id"] == "m1"
        pending = asyncio.ensure_future(client.send_chat("cut off"))
        await asyncio.sleep(0.1)
        await client.close()
        with pytest.raises(CommandError) as err:
            await pending
        assert err.value.code == "closed"
        with pytest.raises(CommandError) as err:
            await client.ping()
        assert err.value.code == "closed"

    run(main())
    assert sum('"chat.message"' in t and '"once"' in t for _, t in quiet_sandbox.server.history) == 1


@pytest.mark.parametrize(("url", "is_ok"), [
    ("ws://127.0.0.1:8765/v1", True), ("ws://localhost:8765/v1", True), ("ws://[::1]:8765/v1", True),
    ("ws://127.0.0.2:8765/v1", True), ("wss://shop.example/v1", True), ("wss://192.168.1.20:8765/v1", True),
    ("ws://shop.example/v1", False), ("ws://192.168.1.20:8765/v1", False),
])
def test_ws_only_on_loopback_wss_anywhere_else(url: str, is_ok: bool) -> None:
    from seller_studio.common.errors import BadUrlError

    if is_ok:
        PlatformClient(url, "t")
    else:
        with pytest.raises(BadUrlError, match="wss://"):
            PlatformClient(url, "t")


def test_before_hello_commands_are_not_authenticated_and_other_messages_ignored(
        quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    try:
        c.send({"type": "x.unknown", "id": "u1", "data": {}})
        assert c.recv() == {"type": "error", "id": "u1", "data": {"code": ErrorCode.NOT_AUTHENTICATED,
                                                                "message": "send hello with your token first"}}
        c.send({"type": "x.some_event", "data": {}})  # no id, not a command: ignored, before hello too
        c.send({"type": "ping", "id": "p1"})
        answer = c.recv()
        assert (answer["id"], answer["data"]["code"]) == ("p1", ErrorCode.NOT_AUTHENTICATED)  # the next answer is the ping's
    finally:
        c.close()


def test_the_rate_limit_is_per_connection(quiet_sandbox: EmbeddedSandbox) -> None:
    noisy, calm = Raw(quiet_sandbox.ws_url), Raw(quiet_sandbox.ws_url)
    try:
        for i in range(300):
            noisy.send({"type": "ping", "id": f"n{i}"})
        codes = [_code(noisy.recv()) for _ in range(300)]
        assert ErrorCode.RATE_LIMITED in codes
        assert calm.command("ping")["type"] == "pong"  # the other connection is not limited
    finally:
        noisy.close()
        calm.close()


def test_the_client_corrects_for_the_servers_clock(quiet_sandbox: EmbeddedSandbox, clock: FakeClock) -> None:
    async def main() -> None:
        client, _, _ = await _connected(quiet_sandbox)  # the sandbox's fake clock is far from ours
        assert abs(client.server_now() - clock.now) < 5
        await client.close()

    run(main())


def test_a_token_refused_on_a_reconnect_is_not_retried(quiet_sandbox: EmbeddedSandbox) -> None:
    from seller_studio.common.backoff import ReconnectPolicy

    default = PlatformClient("ws://127.0.0.1:1/v1", "t").policy  # the stream outputs' policy: 2 s, x1.5, capped
    assert (default.first_delay_s, default.multiplier) == (ReconnectPolicy().first_delay_s, 1.5) == (2.0, 1.5)

    async def main() -> None:
        client, _, states = await _connected(quiet_sandbox)
        sandbox_call(quiet_sandbox, setattr, quiet_sandbox.server, "token", "rotated")  # the seller's token was revoked
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(quiet_sandbox.server.drop_connections(),
                                                                   quiet_sandbox.loop))
        await _until(lambda: states[-1] == "rejected")
        assert client._run_task is not None
        await _until(lambda: client._run_task.done())  # type: ignore[union-attr]  # no more attempts
        with pytest.raises(CommandError) as err:
            await client.ping()
        assert err.value.code == "closed"
        assert states.count("reconnecting") == 1

    run(main())


def test_a_frame_over_1_MiB_is_refused_by_the_websocket_layer_with_1009(quiet_sandbox: EmbeddedSandbox) -> None:
    c = Raw(quiet_sandbox.ws_url)
    c.ws.send("x" * (p.HARD_MAX_FRAME_BYTES + 1))
    with pytest.raises(ConnectionClosed) as closed:
        c.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert Raw(quiet_sandbox.ws_url).alive()  # the platform serves on


@pytest.mark.parametrize("path", ["/", "/v2", "/v1/extra"])
def test_the_protocol_lives_at_path_v1(quiet_sandbox: EmbeddedSandbox, path: str) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    base = quiet_sandbox.ws_url.removesuffix("/v1")
    with pytest.raises(InvalidStatus) as refused:
        connect(base + path, proxy=None, open_timeout=5)
    assert refused.value.response.status_code == 404
    assert Raw(base + "/v1?client=studio").alive()  # a query string does not change the path
