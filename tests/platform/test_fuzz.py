"""Fuzzed, malformed and oversized input never stops the server or the client's decoder."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seller_studio.platform import protocol as p
from seller_studio.platform.protocol import ProtocolError
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
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
