"""The Destinations dock in the real window: two nginx-rtmp ingests, one killed and restarted."""

from __future__ import annotations

import pytest

from tests.helpers import Nginx

pytestmark = [pytest.mark.rtmp, pytest.mark.qt]


def test_destinations_dock_lights_reconnect_now_and_end_show_for_all(qtbot, make_window, small_profile, tmp_path):
    main_ingest, second = Nginx(tmp_path / "main").start(), Nginx(tmp_path / "second").start()
    small_profile.destination.kind, small_profile.destination.url = "custom", main_ingest.url
    small_profile.destinations = [{"name": "second", "url": second.url, "canvas": "landscape",
                                   "preset": "custom", "protocol": ""}]
    try:
        window = make_window(small_profile)
        window.controller.store.set_stream_key(window.controller.profile, "main-key")
        window.controller.store.secrets.set("stream-key:second", "second-key")
        panel = window.destinations_panel
        window.toggle_live()  # Go Live: every destination

        def light(name: str) -> str:
            row = panel.rows.get(name)
            return row.dot.styleSheet() if row is not None else ""

        from seller_studio.ui.status_widgets import HEALTH_COLOURS

        qtbot.waitUntil(lambda: set(panel.rows) == {"stream", "second"}
                        and all(HEALTH_COLOURS["good"] in light(n) for n in panel.rows), timeout=20_000)
        assert panel.hint.isHidden() and not panel.rows["second"].reconnect.isEnabled()
        second.kill()  # one ingest goes down mid-show: its light turns red, the other stays green
        qtbot.waitUntil(lambda: HEALTH_COLOURS["bad"] in light("second") and panel.rows["second"].reconnect.isEnabled(),
                        timeout=20_000)
        assert HEALTH_COLOURS["good"] in light("stream") and "reconnecting" in panel.rows["second"].text.text()
        second = Nginx(tmp_path / "second", port=second.port).start()
        panel.rows["second"].reconnect.click()
        assert "second: reconnecting now" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: HEALTH_COLOURS["good"] in light("second"), timeout=20_000)
        window.toggle_live()  # End Show: every destination
        qtbot.waitUntil(lambda: window.controller.live_state.value == "idle" and not panel.rows, timeout=20_000)
        assert panel.hint.isVisible()
    finally:
        main_ingest.stop()
        second.stop()
    assert main_ingest.recordings() and len(second.recordings()) >= 1
