"""The sandbox's RTMP ingest: health matches what was pushed; a wrong key is refused clearly.

Pushes a short stream with the system ffmpeg CLI to the embedded sandbox and reads the platform's
view back through the studio client, like the app does.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from seller_studio.platform import protocol as p
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from tests.platform.conftest import run

pytestmark = pytest.mark.timeout(40)  # the ffmpeg CLI is required by tests/conftest.py


def push(url: str, seconds: float = 4) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine",
         "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac", "-t", str(seconds), "-f", "flv", url],
        capture_output=True, text=True, timeout=30,
    )


def test_ingest_health_matches_the_pushed_stream_and_wrong_key_is_refused() -> None:
    sandbox = start_sandbox(SandboxConfig(token="tok", simulate_viewers=False))
    try:
        async def main() -> tuple[list[p.Event], subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
            client = PlatformClient(sandbox.ws_url, sandbox.token)
            events: list[p.Event] = []
            client.subscribe(events.append, types=["ingest.health", "ingest.status"])
            await client.connect()
            wrong = await asyncio.to_thread(push, f"{sandbox.ingest_url}/not-the-key", 1)
            right = await asyncio.to_thread(push, sandbox.publish_url, 4)
            await asyncio.sleep(0.5)
            await client.close()
            return events, wrong, right

        events, wrong, right = run(main(), 35)
    finally:
        sandbox.stop()

    # A wrong key: the publisher is told so in plain words and nothing of it is decoded.
    assert wrong.returncode != 0
    assert "Server error: wrong stream key" in wrong.stderr  # FFmpeg's words for our onStatus BadName
    statuses = [e.state for e in events if isinstance(e, p.IngestStatus)]
    assert "refused" in statuses
    assert [e.reason for e in events if isinstance(e, p.IngestStatus) and e.state == "refused"] == ["wrong stream key"]
    assert statuses.index("refused") < statuses.index("receiving")
    assert sandbox.ingest is not None and sandbox.ingest.publishes_refused == 1
    assert sandbox.ingest.streams_received == 1

    assert right.returncode == 0, right.stderr
    health = [e for e in events if isinstance(e, p.IngestHealth)]
    assert health, statuses
    last = health[-1]
    assert (last.width, last.height) == (640, 360)
    assert last.fps == pytest.approx(30, abs=1.5)
    assert last.keyframe_interval_s == pytest.approx(2.0, abs=0.1)
    assert last.has_audio
    assert 100 < last.bitrate_kbps < 5000
    assert statuses[-2:] == ["ended", "listening"]  # the publisher left: listening again


def test_a_silent_connection_does_not_hold_the_listener_a_publisher_needs() -> None:
    """doctor's reachability check connects and says nothing; a port scanner does the same.

    Before the fix the gate handed such a connection straight to the one-stream listener: a
    publisher arriving meanwhile was reset in the listener's backlog, or refused as "busy". That
    is how `Check my setup` once reported the sandbox's ingest as "not an RTMP server" in CI.
    """
    import socket

    from seller_studio.diagnostics.doctor import rtmp_upload_probe
    from seller_studio.platform.sandbox.ingest import RtmpIngest

    ingest = RtmpIngest(lambda kind, data: None)
    ingest.start()
    silent = [socket.create_connection(("127.0.0.1", ingest.port), timeout=5) for _ in range(3)]
    try:
        # The silent ones stay open across the probe and the push: neither may be turned away.
        kbps = rtmp_upload_probe("127.0.0.1", ingest.port, seconds=0.5)
        pushed = push(ingest.publish_url, 2)
    finally:
        for s in silent:
            s.close()
        ingest.stop()
    assert kbps > 0
    assert pushed.returncode == 0, pushed.stderr
    assert ingest.streams_received == 1
