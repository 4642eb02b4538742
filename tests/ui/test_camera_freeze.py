"""``--demo --simulate camera-freeze@T:DUR`` in the real window: the frozen camera is LOST in the
sources list, the health row says it froze, the journal has the fault and the source's state, and the
show recovers by itself."""

from __future__ import annotations

import pytest

from seller_studio.diagnostics.journal import read_journal
from seller_studio.studio.sandbox_process import start_sandbox_process
from tests.ui.conftest import run_async, simulating_window, until

pytestmark = pytest.mark.qt


def test_camera_freeze_in_the_window(qtbot, qapp, file_keyring, small_profile):
    with start_sandbox_process(chat_per_min=0) as sandbox:
        window = simulating_window(qtbot, small_profile, sandbox, "camera-freeze@1s:4s")
        seen: dict[str, str] = {}

        async def scenario() -> list[dict]:
            assert "camera-freeze at 1 s for 4 s" in window.notice_bar.label.text()
            window.toggle_live()
            await until(lambda: window.live_state == "live", 15, "live")
            await until(lambda: "pattern-1" in window.controller.lost_sources, 6, "camera frozen")

            def health_says_froze() -> bool:
                reason = (window.last_stats or {}).get("health", {}).get("reason", "")
                seen["reason"] = reason
                return "froze" in reason

            await until(health_says_froze, 4, "health row")
            await until(lambda: "pattern-1" not in window.controller.lost_sources, 8, "camera back")
            window.end_show()
            await until(lambda: window.live_state == "idle", 15, "idle")
            return read_journal(window.journal.path.read_text())

        try:
            journal = run_async(qapp, scenario, timeout_s=60)
        finally:
            window.shutdown()
    assert seen["reason"].startswith("Camera 'pattern-1' froze")
    faults = [(e["name"], e["data"]["phase"]) for e in journal if e["kind"] == "fault"]
    assert ("camera-freeze", "start") in faults and ("camera-freeze", "end") in faults
    states = [e["data"]["state"] for e in journal if e["name"] == "source_state" and e["data"]["source_id"] == "pattern-1"]
    assert "lost" in states and states[-1] == "live", states
