"""`seller-studio --demo --demo-ingest whip` without Qt: the controller goes live on the sandbox
child's WHIP ingest (issue 14 item 4), the stream is healthy, and End Show ends the WHIP session."""

from __future__ import annotations

import pytest

from seller_studio.media.outputs.whip import WhipOutput
from seller_studio.studio.events import HealthChanged, LiveState, StatsUpdated
from seller_studio.studio.sandbox_process import start_sandbox_process
from tests.studio.test_controller import Rig, _ready, profile  # noqa: F401  (the fixture)

pytestmark = pytest.mark.timeout(90)


def test_demo_goes_live_over_whip_through_the_controller(file_keyring, profile):  # noqa: F811
    sandbox = start_sandbox_process(protocol="whip", settle_s=0.5)
    profile.destination.kind = "sandbox"
    rig = Rig(profile, sandbox=sandbox, journal=None)
    try:
        assert sandbox.whip_url.startswith("http://127.0.0.1:")
        _ready(rig)
        assert rig.call(lambda c: c.prepare_go_live())
        assert isinstance(rig.ctl.stream, WhipOutput)
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 20, "live")
        rig.wait(lambda: sum(e.is_streaming for e in rig.of(StatsUpdated)) >= 3, 15, "three seconds streaming")
        stream = rig.ctl.stream
        assert stream.state.value == "live" and stream.video_packets_sent > 30 and stream.audio_packets_sent > 50
        assert rig.of(HealthChanged)[-1].level in ("good", "warning")
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
        assert stream.state.value == "stopped" and stream.resource_url is None  # DELETEd at End Show
    finally:
        rig.close()
        sandbox.stop()
