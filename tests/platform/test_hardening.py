"""Issue 15's platform-link defects, one test each, on real sockets against the real sandbox."""

from __future__ import annotations

import json
import logging

import pytest

from seller_studio.platform import protocol as p
from seller_studio.platform.protocol import ErrorCode, ProtocolError
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox
from tests.platform.conftest import sandbox_call
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def two(quiet_sandbox: EmbeddedSandbox):
    """A seller connection and a bystander connection on the same show."""
    a, b = Raw(quiet_sandbox.ws_url), Raw(quiet_sandbox.ws_url)
    a.command("show.start")
    yield a, b
    a.close()
    b.close()


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


def _replays_from_zero(sandbox: EmbeddedSandbox) -> list[dict]:
    c = Raw(sandbox.ws_url, resume_from=0)
    try:
        events = c.events(0.3)
        assert c.alive()
        return events
    finally:
        c.close()


@pytest.mark.parametrize(("mtype", "data", "field"), [
    ("chat.send", {"text": "hi \ud800"}, "data.text"),  # seller side
    ("listing.purchase", {"item_id": "mug", "buyer": "\udfff"}, "data.buyer"),  # buyer side
    ("giveaway.enter", {"giveaway_id": "g1", "user": "a\ud83d"}, "data.user"),
    ("item.show", {"item": {"item_id": "7", "title": "Card \udc00"}}, "data.item.title"),
    ("show.start", {"title": "\ud800"}, "data.title"),
])
def test_lone_surrogate_is_refused_naming_the_field_and_hurts_nobody(
        two: tuple[Raw, Raw], quiet_sandbox: EmbeddedSandbox, caplog: pytest.LogCaptureFixture,
        mtype: str, data: dict, field: str) -> None:
    a, b = two
    a.command("listing.buy_now", {"item_id": "mug", "price": 5, "quantity": 3})
    a.send({"type": mtype, "id": "bad-1", "data": data})  # json.dumps writes the lone surrogate as "\ud800"
    answer = a.answer("bad-1")
    assert answer["type"] == "error" and answer["data"]["code"] == ErrorCode.BAD_MESSAGE
    assert f"`{field}`" in answer["data"]["message"]
    # Both connections still work and see what comes next; nothing bad reached the history.
    a.command("chat.send", {"text": "after"})
    assert a.alive() and b.alive()
    assert any(e["type"] == "chat.message" and e["data"]["text"] == "after" for e in b.events())
    replay = _replays_from_zero(quiet_sandbox)
    assert [e["seq"] for e in replay] == list(range(1, len(replay) + 1))
    assert all(p.is_utf8_text(json.dumps(e, ensure_ascii=False)) for e in replay)
    _no_tracebacks(caplog)


def test_surrogate_in_a_key_or_the_id_is_refused(two: tuple[Raw, Raw]) -> None:
    a, _ = two
    a.ws.send('{"type":"item.show","id":"k1","data":{"item":{"item_id":"1","\\ud800":1}}}')
    answer = a.answer("k1")
    assert answer["data"]["code"] == ErrorCode.BAD_MESSAGE and "<key>" in answer["data"]["message"]
    a.ws.send('{"type":"ping","id":"\\ud800"}')
    msg = a.recv()
    assert msg["type"] == "error" and msg["data"]["code"] == ErrorCode.BAD_MESSAGE and "id" not in msg
    assert a.alive()


def test_the_history_never_takes_an_event_it_cannot_replay(quiet_sandbox: EmbeddedSandbox) -> None:
    server = quiet_sandbox.server
    before = server.seq
    with pytest.raises(ProtocolError) as err:
        sandbox_call(quiet_sandbox, server.publish, "chat.message", {"msg_id": "m", "user": "\ud800", "text": "x"})
    assert err.value.code == ErrorCode.BAD_MESSAGE and "data.user" in err.value.message
    assert server.seq == before and all(p.is_utf8_text(text) for _, text in server.history)


def test_a_send_failure_on_one_client_never_closes_another(
        two: tuple[Raw, Raw], quiet_sandbox: EmbeddedSandbox) -> None:
    a, b = two
    server = quiet_sandbox.server
    # Make one connection's next frame unsendable (as a lone surrogate once was for everyone).
    victim = next(c for c in server._conns if c.is_authed)
    sandbox_call(quiet_sandbox, victim.send_text, "\ud800")
    sandbox_call(quiet_sandbox, server.publish, "viewers", {"count": 3})
    survivors = [c for c in (a, b) if _alive(c)]
    assert len(survivors) == 1  # exactly the victim closed
    assert any(e["type"] == "viewers" for e in survivors[0].events(0.3) + survivors[0].seen)


def _alive(c: Raw) -> bool:
    try:
        return c.alive()
    except Exception:
        return False


def test_purchase_of_a_sold_out_listing_answers_sold_out(two: tuple[Raw, Raw]) -> None:
    a, _ = two
    a.command("listing.buy_now", {"item_id": "mug", "price": 12.5, "quantity": 1})
    assert a.command("listing.purchase", {"item_id": "mug", "buyer": "amy"})["data"] == {"quantity_left": 0}
    late = a.command("listing.purchase", {"item_id": "mug", "buyer": "bo"})
    assert late["data"]["code"] == ErrorCode.SOLD_OUT
    assert a.command("listing.purchase", {"item_id": "never-listed", "buyer": "bo"})["data"]["code"] == \
        ErrorCode.NOT_FOUND
    # Reopening the listing sells again.
    a.command("listing.buy_now", {"item_id": "mug", "price": 12.5, "quantity": 1})
    assert a.command("listing.purchase", {"item_id": "mug", "buyer": "bo"})["type"] == "ack"


@pytest.mark.parametrize(("field", "value"), [
    ("price", 1_000_000.01), ("price", 10 ** 400), ("price", 2_000_000),
])
def test_money_above_the_maximum_is_refused_with_the_maximum_in_the_message(
        two: tuple[Raw, Raw], caplog: pytest.LogCaptureFixture, field: str, value: object) -> None:
    a, _ = two
    answer = a.command("listing.buy_now", {"item_id": "mug", field: value})
    assert answer["type"] == "error" and answer["data"]["code"] == ErrorCode.BAD_MESSAGE
    assert "at most $1,000,000.00" in answer["data"]["message"] and "decimals" not in answer["data"]["message"][:40]
    assert a.command("listing.buy_now", {"item_id": "mug", "price": 1_000_000})["type"] == "ack"
    _no_tracebacks(caplog)


@pytest.mark.parametrize(("mtype", "data"), [
    ("auction.start", {"item_id": "1", "starting_bid": 10 ** 400, "duration_s": 30}),
    ("auction.start", {"item_id": "1", "starting_bid": 5, "duration_s": 10 ** 400}),
    ("auction.place_bid", {"auction_id": "a1", "user": "u", "amount": -(10 ** 400)}),
    ("user.timeout", {"user": "u", "seconds": 10 ** 400}),
    ("giveaway.start", {"item_id": "1", "duration_s": 10 ** 400}),
    ("listing.buy_now", {"item_id": "1", "price": 5, "quantity": 10 ** 400}),
])
def test_a_400_digit_integer_is_bad_message_never_internal(
        two: tuple[Raw, Raw], caplog: pytest.LogCaptureFixture, mtype: str, data: dict) -> None:
    a, _ = two
    caplog.set_level(logging.INFO)
    answer = a.command(mtype, data)
    assert answer["type"] == "error" and answer["data"]["code"] == ErrorCode.BAD_MESSAGE, answer
    _no_tracebacks(caplog)
    assert a.alive()


@pytest.mark.parametrize("frame", [
    {"type": "chat.send", "data": {"text": "no id"}},
    {"type": "chat.send", "id": None, "data": {"text": "null id"}},
    {"type": "ping"},
    {"type": "auction.start", "id": None, "data": {}},
])
def test_a_command_without_id_is_answered_bad_message(two: tuple[Raw, Raw], frame: dict) -> None:
    a, b = two
    a.send(frame)
    answers = [m for m in a.drain() if "seq" not in m]
    assert len(answers) == 1, answers
    assert answers[0]["type"] == "error" and answers[0]["data"]["code"] == ErrorCode.BAD_MESSAGE
    assert "`id`" in answers[0]["data"]["message"]
    assert not [e for e in b.events(0.2) if e["type"] == "chat.message"]  # no effect


@pytest.mark.parametrize("hello", [
    {"type": "hello", "data": {"token": "test-token", "resume_from": 0}},
    {"type": "hello", "id": None, "data": {"token": "test-token", "resume_from": 0}},
])
def test_a_hello_without_id_is_bad_message_and_not_welcomed(quiet_sandbox: EmbeddedSandbox, hello: dict) -> None:
    c = Raw(quiet_sandbox.ws_url, hello=False)
    try:
        c.send(hello)
        answers = c.drain()
        assert [(m["type"], m["data"]["code"]) for m in answers] == [("error", ErrorCode.BAD_MESSAGE)], answers
        assert "`id`" in answers[0]["data"]["message"]
        c.send({"type": "ping", "id": "p1"})  # still not authenticated: the hello had no effect
        assert c.recv()["data"]["code"] == ErrorCode.NOT_AUTHENTICATED
    finally:
        c.close()


def test_unknown_types_without_id_are_still_ignored(two: tuple[Raw, Raw]) -> None:
    a, _ = two
    a.send({"type": "x.future_event", "data": {}})
    assert a.drain(0.2) == []


# --- the studio's side: found by the fuzzer (tests/platform/test_fuzz.py) -------------------------------------

def _hostile_platform(frames: list[str]):
    """A real server socket that welcomes with ``frames[0]`` and then sends the rest."""
    from websockets.asyncio.server import serve

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    return serve(handler, "127.0.0.1", 0)


def test_a_welcome_the_client_cannot_read_fails_connect_instead_of_hanging() -> None:
    import asyncio
    import time

    from seller_studio.common.errors import UnreachableHostError
    from seller_studio.platform.client import PlatformClient

    async def main() -> float:
        welcome = '{"type":"welcome","id":"h","data":{"show_id":"\\ud800","server_time":1}}'
        async with _hostile_platform([welcome]) as server:
            client = PlatformClient(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", "t",
                                    connect_timeout_s=0.5)
            t0 = time.monotonic()
            with pytest.raises(UnreachableHostError, match="did not welcome us"):
                await client.connect()
            return time.monotonic() - t0

    assert asyncio.run(asyncio.wait_for(main(), 10)) < 5


def test_hostile_event_fields_reach_the_show_as_one_line_errors(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from seller_studio.platform.client import PlatformClient
    from seller_studio.show.controller import ShowController
    from seller_studio.show.inventory import InventoryStore, Item

    store = InventoryStore(tmp_path / "inv.db")
    store.add_item(Item("Lamp", type="buy_it_now", price_cents=500, quantity=2, sku="L"))
    frames = [
        '{"type":"welcome","id":"h","data":{"show_id":7,"server_time":' + "9" * 400 + ',"resume_from":true}}',
        '{"type":"listing.opened","seq":1,"data":{"item_id":"abc","price":5,"quantity":1}}',
        '{"type":"sale","seq":2,"data":{"item_id":"' + "9" * 40 + '","buyer":"x","price":5}}',
        '{"type":"sale","seq":3,"data":{"item_id":"1","buyer":"x","price":' + "9" * 400 + '}}',
        '{"type":"chat.message","seq":4,"data":{"msg_id":"m","user":"u","text":"t\\udc00","ts":1}}',
        '{"type":"viewers","seq":5,"data":{"count":3}}',
    ]
    errors: list[str] = []

    async def main() -> PlatformClient:
        async with _hostile_platform(frames) as server:
            client = PlatformClient(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", "t")
            ctl = ShowController(store, "hostile")
            ctl.events.subscribe(lambda name, payload: errors.append(payload["message"]) if name == "error" else None)
            client.subscribe(ctl.on_platform_event)
            await client.connect()
            for _ in range(100):
                if client.last_seq >= 5:
                    break
                await asyncio.sleep(0.02)
            assert ctl.viewer_count == 3  # the good event after the bad ones still arrives
            await client.close()
            return client

    client = asyncio.run(asyncio.wait_for(main(), 15))
    store.close()
    assert client.last_seq == 5 and client.show_id is None and client.server_time_offset_s == 0.0
    assert len(errors) == 2 and all("does not know" in e for e in errors), errors
    _no_tracebacks(caplog)


def test_sales_made_before_the_studio_attached_are_recorded(quiet_sandbox: EmbeddedSandbox, tmp_path) -> None:
    """The backlog after the welcome is dispatched before connect() returns; the show controller attaches
    after that (as the window does) and must still record every sale in it. It used to record none."""
    import asyncio

    from seller_studio.platform.client import PlatformClient
    from seller_studio.show.controller import ShowController
    from seller_studio.show.inventory import InventoryStore, Item

    store = InventoryStore(tmp_path / "inv.db")
    store.add_item(Item("Mug", type="buy_it_now", price_cents=500, quantity=5, sku="M"))
    buyer = Raw(quiet_sandbox.ws_url)
    buyer.command("show.start")
    buyer.command("listing.buy_now", {"item_id": "1", "price": 5, "quantity": 5})
    for name in ("amy", "bo", "cy"):
        assert buyer.command("listing.purchase", {"item_id": "1", "buyer": name})["type"] == "ack"
    buyer.close()

    from seller_studio.diagnostics.journal import Journal

    journal = Journal(tmp_path / "journal.jsonl", command="test")

    async def main() -> None:
        client = PlatformClient(quiet_sandbox.ws_url, "test-token")
        await client.connect()
        ctl = ShowController(store, "tonight")
        ctl.attach_client(client)
        journal.attach_platform(client)  # the flight recorder attaches late too
        await asyncio.sleep(0.2)
        late = Raw(quiet_sandbox.ws_url)  # and the live ones after it, once each
        late.command("listing.purchase", {"item_id": "1", "buyer": "dee"})
        late.close()
        for _ in range(100):
            if len(store.list_sales()) >= 4:
                break
            await asyncio.sleep(0.02)
        await ctl.close()
        await client.close()

    asyncio.run(asyncio.wait_for(main(), 15))
    assert sorted(s.buyer for s in store.list_sales()) == ["amy", "bo", "cy", "dee"]
    assert store.get_item(1).quantity == 1  # type: ignore[union-attr]
    store.close()
    journal.close()
    recorded = (tmp_path / "journal.jsonl").read_text()
    assert all(f'"buyer": "{name}"' in recorded or f'"buyer":"{name}"' in recorded for name in ("amy", "bo", "cy"))
