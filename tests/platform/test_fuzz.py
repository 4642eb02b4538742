"""Fuzzed, malformed and oversized input never stops the server, another client, the history, the
studio's client or its show logic."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.platform import protocol as p
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.protocol import ErrorCode, ProtocolError
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, Item
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(60)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
known_types = st.sampled_from(sorted(p.COMMANDS) + ["hello", "ack", "welcome", "x.y"])
envelopes = st.fixed_dictionaries(
    {"type": known_types | st.text(max_size=10) | json_values},
    optional={"id": st.text(max_size=70) | json_values, "seq": json_values,
              "data": st.dictionaries(st.sampled_from(["item_id", "starting_bid", "duration_s", "text", "msg_id",
                                                       "user", "amount", "auction_id", "token", "price"]),
                                      json_values, max_size=5) | json_values},
)
frames = st.one_of(
    envelopes.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.just("{" * 5000),  # deep nesting
    st.just('{"type":"chat.send","id":"big","data":{"text":"' + "x" * (p.MAX_MESSAGE_BYTES + 1) + '"}}'),
)


@pytest.fixture(scope="module")
def sandbox():
    sb = start_sandbox(SandboxConfig(token="test-token", simulate_viewers=False), with_ingest=False)
    yield sb
    sb.stop()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=15))
def test_fuzzed_frames_leave_the_server_running(sandbox, batch: list) -> None:
    c = Raw(sandbox.ws_url)
    try:
        for frame in batch:
            c.ws.send(frame)
        assert c.alive()
    finally:
        c.close()


@settings(max_examples=300, deadline=None)
@given(raw=frames | st.text())
def test_decode_only_raises_protocol_errors(raw: str | bytes) -> None:
    try:
        env = p.decode(raw)
    except ProtocolError as err:
        assert err.code in vars(p.ErrorCode).values()
        return
    try:
        p.parse_event(env)
        cls = p.COMMANDS.get(env.type)
        if cls is not None:
            cls.from_data(env.data)
    except ProtocolError:
        pass


# --- the protocol fuzzer (issue 15): the whole vocabulary, every envelope shape, real sockets -------------
#
# Each example is a batch of frames sent by one connection (valid, boundary and hostile values in every
# field of every command, and every envelope shape) while a bystander connection and the studio's own
# PlatformClient + ShowController are connected to the same sandbox. After every frame a sentinel ping
# collects its answers. Asserted: every frame answered exactly once (none for an id-less message of a
# type that is not a command, as docs/protocol.md says), never `internal`, no traceback logged anywhere,
# the bystander unaffected, the history replays from 0 gap-free, and the studio processed every event
# without an exception. FUZZ_EXAMPLES sets the default run's budget; the slow test runs FUZZ_LONG_EXAMPLES.

TOKEN = "fuzz-token"
ITEM_IDS = ["1", "2", "3", "4"]  # the studio's inventory has these, so valid selling reaches the store
SURROGATES = ["\ud800", "a\udfff", "\udc00b", "\ud83d"]
hostile_text = st.sampled_from(
    ["", " ", "x" * 64, "x" * 65, "x" * 201, "y" * 500, "y" * 501, "🙂" * 3, "\x00", "\u202e", "null", "=1+1",
     "a\nb", "<b>bold</b>"] + SURROGATES) | st.text(max_size=20)
numbers = st.sampled_from(
    [0, -1, 1, 0.01, 0.001, 0.005, 1.234, 29.99, 30, 60, 61, 300, 301, 3600, 3601, 86_400, 86_401, 100_000,
     100_001, 999_999.99, 1_000_000, 1_000_000.01, 2 ** 63, -(2 ** 63), 10 ** 400, -(10 ** 400), 1e308, -1e308,
     5e-324, True, False, None]) | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
anything = hostile_text | numbers | json_values
VALID: dict[str, st.SearchStrategy[Any]] = {
    "item_id": st.sampled_from(ITEM_IDS),
    "auction_id": st.sampled_from(["a1", "a2", "a3", "a9"]),
    "giveaway_id": st.sampled_from(["g1", "g2", "g9"]),
    "msg_id": st.sampled_from(["m1", "m2", "m3", "m99"]),
    "reply_to": st.sampled_from(["m1", "m2"]),
    "user": st.sampled_from(["amy", "bo", "cy", "seller"]) | st.from_regex(r"u[0-9]{1,4}", fullmatch=True),
    "buyer": st.sampled_from(["amy", "bo", "cy"]) | st.from_regex(r"b[0-9]{1,4}", fullmatch=True),
    "text": st.text(min_size=1, max_size=40).filter(str.strip),
    "title": st.text(max_size=40),
    "starting_bid": st.integers(1, 50) | st.sampled_from([1, 1.5, 29.99, 1_000_000]),
    "amount": st.integers(1, 3000) | st.sampled_from([30.5, 1_000_000]),
    "max_amount": st.integers(1, 3000),
    "price": st.integers(1, 100) | st.sampled_from([0.01, 12.5, 1_000_000]),
    "duration_s": st.sampled_from([1, 2, 3, 1.5]),
    "counter_bid_s": st.sampled_from([1, 2, 60]),
    "sudden_death": st.booleans(),
    "quantity": st.integers(1, 3),
    "seconds": st.sampled_from([1, 2, 86_400]),
    "resume_from": st.integers(0, 5),
}


def _mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any], percent: int = 80) -> st.SearchStrategy[Any]:
    """``usual`` about ``percent`` % of the time (Hypothesis folds repeated one_of branches together)."""
    return st.integers(0, 99).flatmap(lambda n: usual if n < percent else other)


def _field_value(name: str) -> st.SearchStrategy[Any]:
    return _mostly(VALID.get(name, anything), anything, 85)  # mostly valid, so commands get past validation


def _command_data(cls: type) -> st.SearchStrategy[Any]:
    names = [f.name for f in dataclasses.fields(cls) if f.name != "seq"]
    if cls is p.ItemShow:
        item = st.fixed_dictionaries({}, optional={"item_id": _field_value("item_id"), "title": anything,
                                                   "price": anything, "images": anything})
        return st.fixed_dictionaries({}, optional={"item": item | anything})
    if cls is p.Hello:  # only the right token: a wrong one closes the connection (tested elsewhere)
        return st.fixed_dictionaries({}, optional={"token": st.sampled_from([TOKEN, 5, None, [TOKEN]]),
                                                   "resume_from": _field_value("resume_from"),
                                                   "protocol": st.sampled_from(["v1", 1, None])})
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}

    @st.composite
    def data(draw: st.DrawFn) -> dict[str, Any]:
        out = {}
        for name in names:  # required fields are nearly always there, optional ones half the time
            if draw(st.integers(0, 19)) < (19 if name in required else 10):
                out[name] = draw(_field_value(name))
        if draw(st.integers(0, 9)) == 0:
            out["extra"] = draw(anything)  # unknown keys are allowed
        return out
    return data()


VOCABULARY = sorted({**p.COMMANDS, "hello": p.Hello}.items())
_ids = iter(range(10 ** 9))
ids = _mostly(st.builds(lambda: f"f-{next(_ids)}"), st.one_of(
    st.just(None), st.just(""), st.just("i" * 65), st.sampled_from(SURROGATES), st.integers(), st.just(["x"])), 85)


@st.composite
def envelope_frames(draw: st.DrawFn) -> str:
    mtype, cls = draw(st.sampled_from(VOCABULARY))
    data = draw(_command_data(cls))
    env: dict[str, Any] = {"type": draw(_mostly(st.just(mtype), st.sampled_from(
        ["x.future", "ack", "welcome", "", "t" * 65, "\ud800"]) | numbers, 90))}
    mid = draw(ids)
    if mid is not None or draw(st.booleans()):
        env["id"] = mid  # absent, or explicitly null
    shape = draw(st.integers(0, 19))
    if shape < 18:
        env["data"] = data
    elif shape == 18:
        env["data"] = draw(anything)  # not an object
    if draw(st.integers(0, 19)) == 0:
        env["seq"] = draw(numbers)
    return json.dumps(env)  # lone surrogates are written as \ud800 escapes, as a hostile client would


raw_frames = st.sampled_from([
    "not json", "", "[]", "null", "5", '"str"', '{"type": NaN}', '{"type":"ping","id":"x","data":{"a":Infinity}}',
    "{" * 5000, '{"type":"chat.send","id":"big","data":{"text":"' + "x" * (p.MAX_MESSAGE_BYTES + 1) + '"}}',
]) | st.binary(max_size=50)
fuzz_frames = _mostly(envelope_frames(), raw_frames, 92)


def _expects_no_answer(frame: str | bytes) -> bool:
    """docs/protocol.md: a valid message without id whose type is not a command is ignored."""
    try:
        env = p.decode(frame)
    except ProtocolError:
        return False
    return env.id is None and env.type not in p.COMMANDS and env.type != p.Hello.TYPE


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:  # a traceback: an exception somebody did not expect
            self.records.append(record)


class _Studio:
    """The studio side on its own loop thread: a real PlatformClient feeding a ShowController."""

    def __init__(self, url: str, db: Path) -> None:
        self.store = InventoryStore(db)
        for i, kind in enumerate(["auction", "buy_it_now", "giveaway", "auction"]):
            self.store.add_item(Item(f"Fuzz item {i}", type=kind, price_cents=500, quantity=3, sku=f"FZ-{i}"))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-studio", daemon=True)
        self.thread.start()
        self.controller_errors: list[str] = []
        self.client, self.controller = self._call(self._connect(url))

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    async def _connect(self, url: str) -> tuple[PlatformClient, ShowController]:
        client = PlatformClient(url, TOKEN, policy=ReconnectPolicy(first_delay_s=0.05, max_delay_s=0.2))
        ctl = ShowController(self.store, "fuzz-show")
        client.subscribe(ctl.on_platform_event)
        await client.connect()
        ctl.events.subscribe(lambda name, payload: self.controller_errors.append(payload.get("message", ""))
                             if name == "error" else None)
        for i in range(4):
            ctl.run.add(i + 1)
        return client, ctl

    def caught_up(self, seq: int, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.client.last_seq >= seq:
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        async def stop() -> None:
            await self.controller.close()
            await self.client.close()
        with contextlib.suppress(Exception):
            self._call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.store.close()


class _Rig:
    def __init__(self, tmp: Path) -> None:
        self.tracebacks = _Tracebacks()
        logging.getLogger().addHandler(self.tracebacks)
        self.sandbox = start_sandbox(SandboxConfig(token=TOKEN, simulate_viewers=False, rate_per_s=100_000.0,
                                                   rate_burst=100_000), with_ingest=False)
        self.server = self.sandbox.server
        self.studio = _Studio(self.sandbox.ws_url, tmp / "fuzz.db")
        self.bystander = Raw(self.sandbox.ws_url, token=TOKEN)
        self.bystander_seqs: list[int] = []
        self.examples = 0
        self.frames = 0
        self.answers: Counter[str] = Counter()
        self._sentinels = iter(range(10 ** 9))

    def close(self) -> None:
        self.bystander.close()
        self.studio.close()
        self.sandbox.stop()
        logging.getLogger().removeHandler(self.tracebacks)

    def run_example(self, batch: list[str | bytes]) -> None:
        self.examples += 1
        c = Raw(self.sandbox.ws_url, token=TOKEN)
        try:
            for frame in batch:
                self.frames += 1
                c.ws.send(frame)
                sentinel = f"sentinel-{next(self._sentinels)}"
                c.send({"type": "ping", "id": sentinel})
                answers = []
                while True:
                    msg = c.recv(10)
                    if msg.get("id") == sentinel:
                        assert msg["type"] == "pong", msg
                        break
                    if "seq" not in msg:
                        answers.append(msg)
                expected = 0 if _expects_no_answer(frame) else 1
                assert len(answers) == expected, (frame[:300], answers)
                for answer in answers:
                    code = answer["data"].get("code") if answer["type"] == "error" else answer["type"]
                    self.answers[str(code)] += 1
                    assert code != ErrorCode.INTERNAL, (frame[:300], answer)
        finally:
            c.close()
        # The bystander saw every event, in order, and still answers.
        assert self.bystander.alive()
        self.bystander_seqs += [e["seq"] for e in self.bystander.events(0.05)]
        assert self.bystander_seqs == list(range(1, len(self.bystander_seqs) + 1))
        # History replays from 0, every frame decodes and parses as its typed event.
        replay = Raw(self.sandbox.ws_url, token=TOKEN, resume_from=0)
        try:
            seqs = []
            while len(seqs) < replay.welcome["data"]["last_seq"]:
                raw = replay.ws.recv(5)
                env = p.decode(raw, p.HARD_MAX_FRAME_BYTES)
                p.parse_event(env)
                seqs.append(env.seq)
            assert seqs == list(range(1, len(seqs) + 1))
        finally:
            replay.close()
        # The studio's client and show logic processed the same events.
        assert self.studio.caught_up(self.server.seq), (self.studio.client.last_seq, self.server.seq)
        assert self.studio.client.gaps_seen == 0
        assert not self.tracebacks.records, [r.getMessage() for r in self.tracebacks.records[:3]]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory):
    r = _Rig(tmp_path_factory.mktemp("fuzz"))
    yield r
    r.close()


def _fuzz(rig: _Rig, max_examples: int) -> None:
    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(fuzz_frames, min_size=1, max_size=12))
    def run(batch: list[str | bytes]) -> None:
        rig.run_example(batch)

    start = (rig.examples, rig.frames)
    t0 = time.monotonic()
    run()
    print(f"\nprotocol fuzzer: {rig.examples - start[0]} examples, {rig.frames - start[1]} frames in "
          f"{time.monotonic() - t0:.1f} s; answers {dict(rig.answers.most_common())}; "
          f"{rig.server.seq} events replayed from 0 each time; studio controller refusals "
          f"{len(rig.studio.controller_errors)}")


@pytest.mark.timeout(600)
def test_protocol_fuzzer(rig: _Rig, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        _fuzz(rig, int(os.environ.get("FUZZ_EXAMPLES", "60")))


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_protocol_fuzzer_long(rig: _Rig, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        _fuzz(rig, int(os.environ.get("FUZZ_LONG_EXAMPLES", "2000")))


# --- hostile platform: every event field the studio reads, fuzzed, from a real server socket ----------------

EVENT_VALID: dict[str, st.SearchStrategy[Any]] = {
    **VALID, "ends_at": st.floats(1.7e9, 1.9e9), "started_at": st.floats(1.7e9, 1.9e9), "ts": st.floats(1.7e9, 1.9e9),
    "until": st.floats(1.7e9, 1.9e9), "count": st.integers(0, 10_000), "entries": st.integers(0, 100),
    "quantity_left": st.integers(0, 5), "next_min_bid": st.integers(1, 100), "badges": st.just(["buyer"]),
    "winner": st.sampled_from(["amy", "bo"]), "is_proxy": st.booleans(), "show_id": st.just("s"),
    "ended_at": st.floats(1.7e9, 1.9e9), "item": st.fixed_dictionaries({"item_id": st.sampled_from(ITEM_IDS)}),
}


@st.composite
def hostile_events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    mtype, cls = draw(st.sampled_from(sorted(p.EVENTS.items())))
    data = {}
    for f in dataclasses.fields(cls):
        if f.name != "seq" and draw(st.integers(0, 9)) < 9:
            data[f.name] = draw(_mostly(EVENT_VALID.get(f.name, anything), anything, 70))
    return mtype, data


@pytest.mark.timeout(300)
def test_the_studio_treats_every_event_field_as_hostile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A platform that sends anything: the studio's client and show logic log and skip, never raise."""
    from websockets.asyncio.server import serve

    batches: list[list[tuple[str, dict[str, Any]]]] = []

    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None, database=None)
    @given(batch=st.lists(hostile_events(), min_size=1, max_size=20))
    def collect(batch: list[tuple[str, dict[str, Any]]]) -> None:
        batches.append(batch)

    collect()
    events = [e for batch in batches for e in batch]
    frames = [json.dumps({"type": t, "seq": i + 1, "data": d}) for i, (t, d) in enumerate(events)]
    frames.insert(len(frames) // 2, '{"type":"chat.message","seq":0,"data":{}}')  # and a few broken envelopes
    frames.insert(len(frames) // 3, "garbage")

    async def handler(ws: Any) -> None:
        await ws.recv()
        await ws.send(json.dumps({"type": "welcome", "id": "x", "data": {"show_id": 5, "server_time": 10 ** 400,
                                                                        "resume_from": True, "last_seq": -1}}))
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    tracebacks = _Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    store = InventoryStore(tmp_path / "hostile.db")
    for i, kind in enumerate(["auction", "buy_it_now", "giveaway", "auction"]):
        store.add_item(Item(f"Item {i}", type=kind, price_cents=500, quantity=3, sku=f"H-{i}"))

    async def main() -> tuple[int, bool]:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            client = PlatformClient(f"ws://127.0.0.1:{port}/v1", TOKEN)
            ctl = ShowController(store, "hostile")
            client.subscribe(ctl.on_platform_event)  # before connect: the backlog follows the welcome at once
            # (the controller's own attach_client subscribes after it, and would miss that backlog)
            await client.connect()
            for i in range(4):
                ctl.run.add(i + 1)
            deadline = time.monotonic() + 30
            while client.last_seq < len(events) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            connected = client.is_connected
            await ctl.close()
            await client.close()
            return client.last_seq, connected

    try:
        last_seq, connected = asyncio.run(main())
    finally:
        logging.getLogger().removeHandler(tracebacks)
        store.close()
    with capsys.disabled():
        print(f"\nhostile platform: {len(events)} fuzzed events ({len(batches)} examples) into the studio's "
              f"client and show logic")
    assert last_seq == len(events) and connected
    assert not tracebacks.records, [f"{r.getMessage()}: {r.exc_info}" for r in tracebacks.records[:3]]
