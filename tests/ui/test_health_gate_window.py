"""The health gate in the window: during a real net-drop (``--simulate net-drop@T:DUR``) pressing an
auction preset asks first, naming the problem; No leaves the auction unstarted."""

from __future__ import annotations

import asyncio

import pytest

from seller_studio.diagnostics.studio_faults import parse_for_window
from seller_studio.studio.sandbox_process import start_sandbox_process
from seller_studio.studio.settings import SettingsStore
from seller_studio.ui.main_window import MainWindow
from tests.ui.conftest import run_async, until

pytestmark = pytest.mark.qt


def test_auction_during_a_net_drop_asks_first(qtbot, qapp, file_keyring, small_profile):
    with start_sandbox_process(chat_per_min=0) as sandbox:
        window = MainWindow(SettingsStore(), small_profile, sandbox=sandbox, audio_fallback="tone",
                            simulate=parse_for_window("net-drop@3s:8s", has_sandbox=True))
        asked: list[tuple[str, str]] = []
        window.confirm = lambda title, text: True  # Go live
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.studio is not None, timeout=10_000)
        panel = window.show_panel

        async def scenario() -> None:
            await window.connect_platform()
            window.toggle_live()
            await until(lambda: window.live_state == "live", 15, "live")
            panel.next_item()
            await until(lambda: panel.controller.session.item is not None, 5, "an item showing")
            await until(lambda: window.controller.health_gate.problem() is not None, 15, "the stream to be sick")

            def answer(title: str, text: str) -> bool:
                asked.append((title, text))
                return False  # the seller says No

            window.confirm = answer
            panel.now_showing.start_auction(0)
            await asyncio.sleep(1.0)
            assert panel.controller.session.auction is None  # nothing started on the platform
            window.confirm = lambda title, text: True
            window.end_show()
            await until(lambda: window.live_state == "idle", 15, "idle")

        try:
            run_async(qapp, scenario, timeout_s=90)
        finally:
            window.shutdown()
    assert len(asked) == 1
    title, text = asked[0]
    assert title == "Start the auction?"
    assert ("reconnecting" in text or "dropping" in text) and "A running auction cannot be cancelled." in text
