"""The health gate: before an auction or a draw on a reconnecting or dropping stream the studio asks,
naming the problem. The rule alone, then driven by the real net-drop fault against nginx-rtmp."""

from __future__ import annotations

import time

import pytest

from seller_studio.diagnostics.journal import read_journal
from seller_studio.diagnostics.studio_faults import parse_for_window
from seller_studio.studio.events import LiveState
from seller_studio.studio.health_gate import HealthGate
from tests.studio.test_controller import Rig, _custom, _ready, profile  # noqa: F401 - the fixture


def _tick(frames: int, network: int, state: str = "live", encode_lag: int = 0) -> dict:
    return {"frames_encoded": frames, "dropped": {"network": network, "encode_lag": encode_lag, "render_lag": 0},
            "outputs": [{"kind": "stream", "state": state}, {"kind": "recording", "state": "live"}]}


def test_rule_drops_over_five_percent_and_reconnecting() -> None:
    gate = HealthGate()
    assert gate.problem() is None  # not streaming: nothing to protect
    for second in range(12):
        gate.observe(_tick(30 * second, 0))
    assert gate.problem() is None
    # 10 s at 30 fps = 300 frames: 15 dropped of 315 is 4.8 %, under the limit...
    base = 30 * 11
    gate.observe(_tick(base + 285, 15))
    for n in range(9):
        gate.observe(_tick(base + 285 + n, 15))
    assert gate.drop_pct() < 5.0 and gate.problem() is None
    # ...and 17 of 300 is 5.7 %: ask.
    gate = HealthGate()
    gate.observe(_tick(0, 0))
    gate.observe(_tick(283, 17))
    problem = gate.problem()
    assert problem is not None and not problem.is_reconnecting
    assert problem.reason == ("The stream is dropping 6% of its frames: viewers see a stuttering picture and may miss "
                              "the end.")
    assert problem.question("auction").endswith("A running auction cannot be cancelled. Start the auction anyway?")
    assert problem.question("draw").endswith("Viewers must see the draw live. Start the draw anyway?")
    gate.observe(_tick(300, 17, state="reconnecting"))
    assert gate.problem().reason == "The stream is reconnecting: viewers are not seeing you right now."
    first = HealthGate()
    first.observe(_tick(0, 0, state="connecting"))  # Go Live's first connect is not a reconnect
    assert first.problem() is None
    first.observe({**_tick(30, 0, state="connecting"), "outputs": [{"kind": "stream", "state": "connecting",
                                                                      "reconnects": 1}]})
    assert first.problem().is_reconnecting
    gate.observe({"frames_encoded": 400, "dropped": {}, "outputs": [{"kind": "recording", "state": "live"}]})
    assert gate.problem() is None  # recording only: no viewers to lose
    encode = HealthGate()
    encode.observe(_tick(0, 0))
    encode.observe(_tick(100, 0, encode_lag=20))
    assert encode.problem() is not None  # dropped is dropped, whatever the cause


@pytest.mark.rtmp
def test_net_drop_makes_the_studio_ask_then_it_stops_asking(nginx, file_keyring, profile):  # noqa: F811
    rig = Rig(_custom(profile, nginx.url), simulate=parse_for_window("net-drop@3s:6s", has_sandbox=False))
    try:
        rig.store.set_stream_key(rig.ctl.profile, "gate-key")
        _ready(rig)
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        time.sleep(1.5)
        assert rig.call(lambda c: c.start_question("auction")) is None  # healthy: start at once
        asked: list[str] = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not asked:
            question = rig.call(lambda c: c.start_question("draw"))
            if question:
                asked.append(question)
            time.sleep(0.2)
        assert asked, "the net-drop never made the studio ask"
        print(f"\nhealth gate during net-drop: {asked[0]}")
        assert ("reconnecting" in asked[0] or "dropping" in asked[0]) and asked[0].endswith("Start the draw anyway?")
        stream = rig.ctl.stream
        rig.wait(lambda: stream.reconnect_count >= 1 and stream.state.value == "live", 20, "stream back")
        deadline = time.monotonic() + 20  # the drops leave the 10 s window
        while time.monotonic() < deadline and rig.call(lambda c: c.start_question("auction")) is not None:
            time.sleep(0.5)
        assert rig.call(lambda c: c.start_question("auction")) is None
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
        journal = read_journal(rig.ctl.journal.path.read_text())
        gated = [e for e in journal if e.get("kind") == "action" and e.get("name") == "health_gate"]
        assert gated and gated[0]["data"]["action"] == "draw"
    finally:
        rig.close()
