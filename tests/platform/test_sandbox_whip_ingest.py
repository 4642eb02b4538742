"""The sandbox's WHIP ingest (issue 14 item 4): the studio goes live on it over WebRTC and the
platform reports the stream's health as it does for RTMP; a wrong key is refused in one line."""

from __future__ import annotations

import asyncio
import time

import pytest

from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.encoders.registry import open_encoders
from seller_studio.media.outputs.base import OutputState, StopReason
from seller_studio.media.outputs.whip import WhipOutput
from seller_studio.media.studio import pattern_studio
from seller_studio.platform import protocol as p
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from seller_studio.studio.destination import Destination
from tests.platform.conftest import run

pytestmark = pytest.mark.timeout(60)


def go_live_for(url: str, key: str, seconds: float) -> tuple[WhipOutput, float]:
    studio = pattern_studio(640, 360, 30)
    try:
        output = Destination("the sandbox platform", url, None, key=key).open_output()
        assert isinstance(output, WhipOutput)
        started = time.monotonic()
        studio.go_live([output], VideoSettings(640, 360, 30, 800), AudioSettings(), wait_outputs_s=15)
        live_after_s = time.monotonic() - started
        time.sleep(seconds)
        return output, live_after_s
    finally:
        studio.stop()


def test_demo_goes_live_over_whip_and_the_platform_reports_ingest_health() -> None:
    sandbox = start_sandbox(SandboxConfig(token="tok", simulate_viewers=False))
    try:
        assert sandbox.whip_url.startswith("http://127.0.0.1:") and sandbox.whip_url.endswith("/whip")

        async def main() -> tuple[list[p.Event], WhipOutput, WhipOutput]:
            client = PlatformClient(sandbox.ws_url, sandbox.token)
            events: list[p.Event] = []
            client.subscribe(events.append, types=["ingest.health", "ingest.status"])
            await client.connect()
            whip_url = sandbox.whip_url.replace("http://", "whip://")
            wrong = WhipOutput(whip_url, "not-the-key")
            encoders = open_encoders(VideoSettings(320, 180, 30, 300, profile="baseline"), AudioSettings())
            wrong.start(encoders.templates())
            await asyncio.to_thread(wrong.wait_started, 10)
            encoders.close()
            right, _ = await asyncio.to_thread(go_live_for, whip_url, sandbox.stream_key, 4)
            await asyncio.sleep(0.5)
            await client.close()
            return events, wrong, right

        events, wrong, right = run(main(), 55)
    finally:
        sandbox.stop()

    assert wrong.state == OutputState.FAILED and wrong.stop_reason is StopReason.REJECTED
    assert "401" in (wrong.error or "") and "stream key" in (wrong.error or "")
    statuses = [e.state for e in events if isinstance(e, p.IngestStatus)]
    assert "refused" in statuses and statuses.index("refused") < statuses.index("receiving")
    assert statuses[-2:] == ["ended", "listening"]  # End Show DELETEd the session: ready for the next
    health = [e for e in events if isinstance(e, p.IngestHealth)]
    assert health, statuses
    last = health[-1]
    assert (last.width, last.height) == (640, 360)
    assert last.fps == pytest.approx(30, abs=3)
    assert last.keyframe_interval_s == pytest.approx(2.0, abs=0.1)
    assert last.has_audio
    assert 100 < last.bitrate_kbps < 5000
    assert right.first_packet_after_connect_was_keyframe == [True]
