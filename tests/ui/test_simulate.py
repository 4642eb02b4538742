"""Support's ``--simulate`` in the real window: faults timed from Go Live, against the sandbox
platform in its own process (fault control on its stdin), a real relay cut for the net-drop, and
the window's own journal recording each fault next to what the studio did."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.faults import FaultSpecError
from seller_studio.diagnostics.journal import read_journal
from seller_studio.diagnostics.studio_faults import parse_for_window
from seller_studio.studio.sandbox_process import start_sandbox_process
from tests.helpers import SELLER_STUDIO
from tests.ui.conftest import run_async, simulating_window, until, wait_state

pytestmark = pytest.mark.qt


def test_faults_run_from_go_live_and_the_show_recovers(qtbot, qapp, file_keyring, small_profile):
    spec = "camera-lost@1s:2s,mic-lost@1s:2s,net-drop@1.5s:2s,disconnect@2s,delayed-acks@2.5s:300ms:1s"
    with start_sandbox_process(chat_per_min=0, fault_control=True) as sandbox:
        window = simulating_window(qtbot, small_profile, sandbox, spec)
        mic_warning = window.mixer.strips["mic"].warning

        async def scenario() -> list[dict]:
            assert "simulating faults" in window.windowTitle()
            assert "camera-lost at 1 s for 2 s" in window.notice_bar.label.text()
            await window.connect_platform()
            assert window.platform_client is not None and window.platform_client.is_connected
            window.toggle_live()
            await until(lambda: window.live_state == "live", 15, "live")
            stream = window.controller.stream
            assert stream is not None and f":{stream.port}/" not in sandbox.ingest_url + "/"  # via the relay
            # camera-lost: the pattern (the demo's camera) shows the "lost" slate, then comes back
            await until(lambda: "pattern-1" in window.controller.lost_sources, 5, "camera lost")
            await until(lambda: mic_warning.text(), 3, "mic-lost warning")
            await until(lambda: "pattern-1" not in window.controller.lost_sources, 6, "camera back")
            await until(lambda: not mic_warning.text(), 3, "mic back")
            # net-drop: the stream reconnects through the relay once it is restored
            await until(lambda: stream.reconnect_count >= 1 and stream.state.value == "live", 15, "stream back")
            await asyncio.sleep(1.5)  # past the delayed-acks window
            window.end_show()
            await until(lambda: window.live_state == "idle", 15, "idle")
            return read_journal(window.journal.path.read_text())

        try:
            journal = run_async(qapp, scenario, timeout_s=90)
        finally:
            window.shutdown()
    faults = [(e["name"], e["data"]["phase"]) for e in journal if e["kind"] == "fault"]
    for kind in ("camera-lost", "mic-lost", "net-drop", "delayed-acks"):
        assert (kind, "start") in faults and (kind, "end") in faults, (kind, faults)
    assert ("disconnect", "start") in faults
    states = [e["name"] for e in journal if e["kind"] == "platform_state"]
    assert "reconnecting" in states and "connected" in states[states.index("reconnecting"):], states
    go_live = next(e["t"] for e in journal if e["kind"] == "action" and e["name"] == "go_live")
    camera_start = next(e["t"] for e in journal if e["kind"] == "fault" and e["name"] == "camera-lost")
    assert 0.8 <= camera_start - go_live <= 3.0  # timed from Go Live, not from the window's start


def test_ending_the_show_mid_fault_restores_the_camera(qtbot, qapp, file_keyring, small_profile):
    with start_sandbox_process(chat_per_min=0) as sandbox:
        window = simulating_window(qtbot, small_profile, sandbox, "camera-lost@0.5s")  # no end: lost until the show ends
        try:
            window.toggle_live()
            wait_state(qtbot, window, "live")
            qtbot.waitUntil(lambda: "pattern-1" in window.controller.lost_sources, timeout=5_000)
            window.end_show()
            wait_state(qtbot, window, "idle")
            qtbot.waitUntil(lambda: "pattern-1" not in window.controller.lost_sources, timeout=5_000)
        finally:
            window.shutdown()


def test_platform_faults_without_the_sandbox_are_one_clear_line():
    with pytest.raises(FaultSpecError, match="disconnect need the sandbox platform: add --demo"):
        parse_for_window("camera-lost@5s,disconnect@10s", has_sandbox=False)
    assert parse_for_window(None, has_sandbox=False) == []


def test_bad_simulate_spec_exits_before_any_window(tmp_path):
    env = {"SELLER_STUDIO_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([*SELLER_STUDIO, "--demo", "--simulate", "camera-lost@soon"], capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == ExitCode.BAD_SIMULATE_SPEC
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "camera-lost@soon" in lines[0], done.stderr
