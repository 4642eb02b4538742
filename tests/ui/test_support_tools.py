"""Issue 20 item 5 in the window: Help > Save support bundle asks where and says where it went;
Check my setup knows the sandbox's ingest (probed when idle, the live stream itself when live); a
muted microphone shows in the health row; Settings can record every show automatically."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import wait_state

pytestmark = pytest.mark.qt


def help_action(window, label: str):
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    return next(a for a in menus["&Help"].actions() if a.text() == label)


def test_save_support_bundle_from_the_help_menu_asks_where_and_says_where_it_went(qtbot, make_window,
                                                                                   small_profile, tmp_path):
    window = make_window(small_profile)
    asked: list[tuple[str, str]] = []
    target = tmp_path / "for-support"
    window.ask_save_path = lambda title, suggested, filters: asked.append((title, suggested)) or str(target)
    help_action(window, "Save support bundle…").trigger()  # the menu item, as the seller clicks it
    assert asked and asked[0][0] == "Save support bundle" and asked[0][1].endswith(".zip")
    out = tmp_path / "for-support.zip"
    qtbot.waitUntil(lambda: "Support bundle saved to" in window.notice_bar.label.text(), timeout=60_000)
    assert str(out) in window.notice_bar.label.text() and window.notice_bar.isVisible()
    with zipfile.ZipFile(out) as bundle:
        assert "manifest.json" in bundle.namelist()


def test_cancelling_the_bundle_dialog_writes_nothing(qtbot, make_window, small_profile, tmp_path):
    window = make_window(small_profile)
    window.ask_save_path = lambda title, suggested, filters: None
    help_action(window, "Save support bundle…").trigger()
    qtbot.wait(300)
    assert "Support bundle" not in window.statusBar().currentMessage()


def test_check_my_setup_knows_the_sandbox_ingest_idle_and_live(qtbot, make_window, small_profile, sandbox,
                                                               monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    window = make_window(small_profile, sandbox)
    ingest_host = sandbox.ingest_url.split("//", 1)[1].split("/", 1)[0]
    window.check_setup()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    line = next(line for line in shown[0].splitlines() if "ingest:" in line)
    print(f"\nidle: {line}")
    assert "no ingest configured" not in shown[0] and ingest_host in line and "reachable" in line
    window.go_live_button.click()
    wait_state(qtbot, window, "live")
    qtbot.waitUntil(lambda: any(o.get("kind") == "stream" and o.get("state") == "live"
                                for o in window.last_stats.get("outputs", [])), timeout=15_000)
    shown.clear()
    window.check_setup()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    line = next(line for line in shown[0].splitlines() if "ingest:" in line)
    print(f"live: {line}")
    assert "the sandbox platform" in line and "live now" in line and ingest_host in line
    assert sandbox.stream_key not in shown[0]
    assert window.live_state == "live"  # the check did not disturb the show
    window.end_show()
    wait_state(qtbot, window, "idle")


def test_a_muted_microphone_shows_in_the_health_row(qtbot, make_window, small_profile):
    window = make_window(small_profile)
    qtbot.waitUntil(lambda: bool(window.mixer.strips), timeout=5000)
    assert "muted" not in window.health.text.text() and window.health.level == "idle"
    strip = next(iter(window.mixer.strips.values()))
    strip.mute.click()
    assert "muted — viewers hear nothing" in window.health.text.text() and "Not live" in window.health.text.text()
    assert window.health.level == "warning" and "muted" in window.health.toolTip()
    window.health.set_health("bad", "Connection lost", "")  # a worse verdict stays worse, the note stays
    assert window.health.level == "bad" and "muted" in window.health.text.text()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_M)  # the mute hotkey unmutes: the note goes
    assert not strip.mute.isChecked() and "muted" not in window.health.text.text()
    assert window.health.level == "bad"


def test_record_automatically_is_a_setting_saved_in_the_profile(qtbot, tmp_path):
    store = SettingsStore()
    dialog = SettingsDialog(store, Profile(name="Main"))
    qtbot.addWidget(dialog)
    assert not dialog.record_when_live.isChecked()
    dialog.record_when_live.setChecked(True)
    dialog.accept()
    assert dialog.result() == 1, dialog.error.text()
    assert store.load_profile("Main").record_when_live is True


def test_record_automatically_starts_with_the_show_and_stops_with_end_show(qtbot, make_window, small_profile,
                                                                           sandbox, tmp_path):
    small_profile.record_dir = str(tmp_path)
    small_profile.record_when_live = True
    window = make_window(small_profile, sandbox)
    window.go_live_button.click()
    wait_state(qtbot, window, "live")
    qtbot.waitUntil(lambda: window.controller.recording is not None and window.record_button.isChecked(),
                    timeout=10_000)
    qtbot.waitUntil(lambda: any(o.get("kind") == "recording" and o.get("state") == "live"
                                for o in window.last_stats.get("outputs", [])), timeout=10_000)
    qtbot.wait(1500)
    window.end_show()
    wait_state(qtbot, window, "idle")
    assert window.controller.recording is None and not window.record_button.isChecked()
    files = [p for p in Path(tmp_path).iterdir() if p.suffix in (".mkv", ".mp4")]
    assert len(files) == 1 and files[0].stat().st_size > 10_000, files
