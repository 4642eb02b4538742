"""The Help menu runs the doctor and saves a support bundle without blocking the window."""

from __future__ import annotations

import zipfile

import pytest
from PySide6.QtWidgets import QMessageBox

pytestmark = pytest.mark.qt


def test_help_menu_lists_the_support_tools(make_window, small_profile):
    window = make_window(small_profile)
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    labels = [action.text() for action in menus["&Help"].actions()]
    assert labels == ["Check my setup…", "Save support bundle…", "Open replay…"]


def test_check_my_setup_reports_each_check(qtbot, make_window, small_profile, monkeypatch):
    shown: list[str] = []
    # The result dialog is modal; the test reads what it would show instead of clicking it away.
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    window = make_window(small_profile)
    window.check_setup()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    assert "cameras" in shown[0] and "keyring" in shown[0]
    assert any(word in shown[0] for word in ("pass", "warn", "fail", "PASS", "WARN", "FAIL"))


def test_save_support_bundle_writes_a_zip(qtbot, make_window, small_profile, tmp_path):
    window = make_window(small_profile)
    out = tmp_path / "support.zip"
    window.save_support_bundle(str(out))
    qtbot.waitUntil(lambda: "Support bundle saved" in window.statusBar().currentMessage(), timeout=60_000)
    with zipfile.ZipFile(out) as bundle:
        assert bundle.namelist()


def test_window_writes_the_flight_recorder_journal(qtbot, make_window, small_profile):
    import json

    window = make_window(small_profile)
    qtbot.waitUntil(lambda: window.studio is not None, timeout=10_000)
    scene = list(window.studio.compositor.scenes)[-1]
    window.switch_scene(scene)
    window.next_item_requested.emit()
    entries = [json.loads(line) for line in window.journal.path.read_text().splitlines()]
    actions = [(e["name"], e["data"]) for e in entries if e["kind"] == "action"]
    assert ("scene_switch", {"scene": scene}) in actions
    assert ("next_item", {}) in actions
