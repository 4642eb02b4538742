"""Each --simulate fault produces the behaviour the stay-live work promises, and the journal records it:
net-drop -> reconnect while the recording goes on; slow-uplink -> bitrate lowered / frames dropped;
camera-lost -> the "lost" slate; mic-lost -> silence with a warning; platform disconnect -> the
client resumes; delayed acks -> late answers."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.diagnostics.faults import PLATFORM_FAULTS, FaultSchedule, parse_simulate, platform_appliers
from seller_studio.diagnostics.journal import Journal, read_journal
from seller_studio.diagnostics.replay import Replay
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from tests.helpers import SELLER_STUDIO, decode_media, stream_duration_s


def stream(tmp_path, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, list[dict]]:
    journal = tmp_path / "journal.jsonl"
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--size", "320x180", "--journal", str(journal), *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc, read_journal(journal.read_text())


def named(entries: list[dict], kind: str, name: str) -> list[dict]:
    return [e for e in entries if e["kind"] == kind and e["name"] == name]


def test_camera_lost_shows_the_slate_and_mic_lost_sends_silence(tmp_path):
    record = tmp_path / "show.mkv"
    proc, journal = stream(tmp_path, "--record", str(record), "--duration", "4.5",
                           "--simulate", "camera-lost@1s:2.5s,mic-lost@1.2s:1.6s")
    media = decode_media(record)
    # The slate (dark grey, (40,40,48)) from about 1 s after the camera stopped until it came back.
    slate = [t for t, rgb in zip(media.frame_times_s, media.mean_rgb, strict=True)
             if abs(rgb[0] - 43) < 8 and abs(rgb[2] - 53) < 8]
    assert slate and 1.9 < min(slate) < 2.3 and 3.3 < max(slate) < 3.7, slate
    # The tone beeps every second: the one at 2 s falls in the silence, those before and after are there.
    beeps = [round(b) for b in media.beep_times_s]
    assert 1 in beeps and 2 not in beeps and 3 in beeps, media.beep_times_s
    assert "sending silence (simulated)" in proc.stderr
    lost = [e for e in named(journal, "media", "source_state") if e["data"]["state"] in ("lost", "live")]
    assert [e["data"]["state"] for e in lost][-2:] == ["lost", "live"]
    assert [e["data"]["is_lost"] for e in named(journal, "media", "mic_state")] == [True, False]
    assert [(e["name"], e["data"]["phase"]) for e in journal if e["kind"] == "fault"] == [
        ("camera-lost", "start"), ("mic-lost", "start"), ("mic-lost", "end"), ("camera-lost", "end")]
    assert len(named(journal, "stats", "stats")) >= 3


@pytest.mark.rtmp
def test_net_drop_reconnects_and_the_recording_continues(tmp_path, nginx):
    record = tmp_path / "show.mkv"
    proc, journal = stream(tmp_path, "--url", nginx.url, "--no-key", "--record", str(record),
                           "--duration", "9", "--simulate", "net-drop@2s:2s")
    states = [(e["t"], e["data"]["state"], e["data"].get("reconnects", 0))
              for e in named(journal, "media", "output_state") if e["data"]["kind"] == "stream"]
    assert any(s == "reconnecting" for _, s, _ in states)
    assert any(s == "live" and r == 1 for _, s, r in states), states
    assert "reconnects 1" in proc.stderr
    assert stream_duration_s(record, "video") > 8.5  # the recording never stopped
    assert len(nginx.recordings()) == 2  # two publishes: before and after the drop
    replay = Replay(journal)
    assert {m.kind for m in replay.markers} >= {"reconnect", "reconnected", "fault"}


@pytest.mark.rtmp
def test_slow_uplink_lowers_the_bitrate(tmp_path, nginx):
    proc, journal = stream(tmp_path, "--url", nginx.url, "--no-key", "--size", "640x360", "--bitrate", "2000",
                           "--duration", "7", "--simulate", "slow-uplink@1s:250kbps")
    lowered = [e["data"]["bitrate_kbps"] for e in named(journal, "media", "bitrate_changed")]
    last_stats = named(journal, "stats", "stats")[-1]["data"]
    stream_out = next(o for o in last_stats["outputs"] if o["kind"] == "stream")
    print(f"slow-uplink 250 kbps: bitrate 2000 -> {min(lowered, default=2000)} kbps, "
          f"dropped {stream_out['dropped_network']} frames, buffer {stream_out['send_buffer_ms']} ms")
    assert lowered and min(lowered) < 1000
    assert named(journal, "fault", "slow-uplink")[0]["data"]["rate_kbps"] == 250


def test_platform_disconnect_and_delayed_acks(tmp_path):
    faults = parse_simulate("disconnect@0.5s,delayed-acks@1.5s:800ms:1.5s", PLATFORM_FAULTS)
    with start_sandbox(SandboxConfig(simulate_viewers=False), with_ingest=False) as sandbox:
        journal = Journal(tmp_path / "journal.jsonl", command="test")
        schedule = FaultSchedule(faults, platform_appliers(sandbox), journal)

        async def run() -> tuple[float, float]:
            client = PlatformClient(sandbox.ws_url, sandbox.token, policy=ReconnectPolicy(first_delay_s=0.1))
            journal.attach_platform(client)
            await client.connect()
            schedule.start()
            await asyncio.sleep(1.0)  # the drop happened at 0.5 s; the client is back
            assert client.is_connected
            normal = await client.ping()
            await asyncio.sleep(0.8)  # into the delayed-acks window
            delayed = await client.ping()
            await asyncio.sleep(1.5)  # the window is over
            after = await client.ping()
            await client.close()
            return normal, delayed, after

        normal, delayed, after = asyncio.run(run())
        schedule.stop()
        journal.close()
    assert normal < 0.3 and 0.75 < delayed < 2.0 and after < 0.3, (normal, delayed, after)
    entries = read_journal((tmp_path / "journal.jsonl").read_text())
    assert [(e["name"], e["data"]["phase"]) for e in entries if e["kind"] == "fault"] == [
        ("disconnect", "start"), ("delayed-acks", "start"), ("delayed-acks", "end")]
    states = [e["name"] for e in entries if e["kind"] == "platform_state"]
    assert "reconnecting" in states and states.count("connected") >= 2
    acks = [e["data"]["latency_ms"] for e in entries if e["kind"] == "platform_ack"]
    assert max(acks) >= 750
