"""Settings: profiles round-trip, secrets only in the keyring, corrupt files, no keyring backend."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QKeySequence

from seller_studio.common import paths
from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.qt


def test_profile_round_trip_keeps_secrets_in_the_keyring_only(file_keyring, tmp_path):
    store = SettingsStore()
    profile = Profile(name="Evening show")
    profile.destination.kind, profile.destination.url = "custom", "rtmps://ingest.example.com:443/app"
    profile.video.width, profile.video.height, profile.video.fps, profile.video.bitrate_kbps = 1920, 1080, 60, 6000
    profile.hotkeys["mute_mic"] = "Ctrl+M"
    assert store.set_stream_key(profile, "live_sk_SECRET123") is True
    store.set_platform_token(profile, "tok-SECRET456")
    store.save_profile(profile)

    again = SettingsStore()
    loaded = again.load_profile()
    assert loaded.name == "Evening show"
    assert loaded.destination.url == "rtmps://ingest.example.com:443/app"
    assert (loaded.video.width, loaded.video.fps, loaded.video.bitrate_kbps) == (1920, 60, 6000)
    assert loaded.hotkeys["mute_mic"] == "Ctrl+M"
    assert again.stream_key(loaded) == "live_sk_SECRET123"
    assert again.platform_token(loaded) == "tok-SECRET456"
    for path in paths.config_dir().rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "SECRET" not in text, f"secret leaked into {path}"
    assert "stream_2dkey" in (tmp_path / "keyring.cfg").read_text()  # the keyring file has it


def test_dialog_round_trip(qtbot, file_keyring, tmp_path):
    store = SettingsStore()
    dialog = SettingsDialog(store, Profile(name="Main"))
    qtbot.addWidget(dialog)
    form = dialog.destination
    form.kind.setCurrentIndex(form.kind.findData("custom"))
    form.url.setText("srt://ingest.example.com:9000")
    form.key.setText("abc-key-789")
    dialog.size.setCurrentIndex(dialog.size.findData("960x540"))
    dialog.bitrate.setValue(1800)
    dialog.hotkey_edits["start_auction"].setKeySequence(QKeySequence("F5"))
    dialog.record_dir.setText(str(tmp_path / "shows"))
    dialog.accept()
    assert dialog.result() == 1, dialog.error.text()
    assert (tmp_path / "shows").is_dir()
    loaded = SettingsStore().load_profile("Main")
    assert loaded.destination.kind == "custom" and loaded.destination.url == "srt://ingest.example.com:9000"
    assert (loaded.video.width, loaded.video.height, loaded.video.bitrate_kbps) == (960, 540, 1800)
    assert loaded.hotkeys["start_auction"] == "F5"
    assert loaded.record_dir == str(tmp_path / "shows")
    assert SettingsStore().stream_key(loaded) == "abc-key-789"
    saved = (paths.config_dir() / "profiles" / "Main.json").read_text()
    assert "abc-key-789" not in saved


def test_dialog_rejects_bad_url_and_duplicate_hotkey_with_one_line(qtbot, file_keyring, tmp_path):
    dialog = SettingsDialog(SettingsStore(), Profile(name="Main"))
    qtbot.addWidget(dialog)
    form = dialog.destination
    form.kind.setCurrentIndex(form.kind.findData("custom"))
    form.url.setText("http://example.com/live")
    dialog.accept()
    assert dialog.result() == 0
    assert "rtmp://" in dialog.error.text() and "\n" not in dialog.error.text()
    form.url.setText("rtmp://example.com/live")
    dialog.hotkey_edits["next_item"].setKeySequence(QKeySequence("1"))
    dialog.accept()
    assert dialog.result() == 0
    assert "used twice" in dialog.error.text()
    dialog.hotkey_edits["next_item"].setKeySequence(QKeySequence("N"))
    (tmp_path / "file").write_text("")
    dialog.record_dir.setText(str(tmp_path / "file" / "sub"))
    dialog.accept()
    assert dialog.result() == 0 and dialog.error.text().startswith("cannot use")


def test_corrupt_profile_is_backed_up_and_replaced_by_defaults(file_keyring):
    store = SettingsStore()
    store.save_profile(Profile(name="Default"))
    path = store.profile_path("Default")
    path.write_text('{"name": "Default", "video": {"width": 12', encoding="utf-8")
    loaded = store.load_profile("Default")
    assert loaded.video.width == 1280  # defaults
    assert len(store.notices) == 1 and "reset to defaults" in store.notices[0]
    backups = list(path.parent.glob("Default.corrupt-*.json"))
    assert len(backups) == 1 and backups[0].read_text().startswith('{"name": "Default"')
    assert not path.exists()


def test_profile_with_impossible_values_counts_as_corrupt(file_keyring):
    store = SettingsStore()
    path = store.profile_path("Default")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"name": "Default", "video": {"width": 7, "height": 5}}))
    assert store.load_profile().video.width == 1280
    assert "video size 7x5" in store.notices[0]


def test_corrupt_profile_notice_shows_in_the_window(make_window, small_profile):
    store = SettingsStore()
    store.profile_path("Test").parent.mkdir(parents=True, exist_ok=True)
    store.profile_path("Test").write_text("not json")
    profile = store.load_profile("Test")
    assert profile.video.width == 1280
    profile.video.width, profile.video.height = small_profile.video.width, small_profile.video.height
    window = make_window(profile, store=store)
    assert window.notice_bar.isVisible()
    assert "damaged" in window.notice_bar.label.text() and "reset to defaults" in window.notice_bar.label.text()


def test_without_keyring_the_key_is_memory_only_with_a_clear_notice(qtbot, no_keyring):
    store = SettingsStore()
    assert store.secrets.is_persistent is False
    dialog = SettingsDialog(store, Profile(name="Main"))
    qtbot.addWidget(dialog)
    assert "memory for this session only" in dialog.destination.secret_note.text()
    form = dialog.destination
    form.kind.setCurrentIndex(form.kind.findData("preset:Twitch"))
    form.key.setText("live_123_memory")
    dialog.accept()
    assert dialog.result() == 1
    assert "memory for this session only" in dialog.notice
    profile = dialog.result_profile()
    assert profile.destination.ingest_url() == "rtmp://live.twitch.tv/app"
    assert store.stream_key(profile) == "live_123_memory"  # this session still has it
    assert SettingsStore().stream_key(profile) == ""  # a new session does not
    for path in paths.config_dir().rglob("*.json"):
        assert "live_123_memory" not in path.read_text()


def test_more_destinations_are_saved_with_their_keys_in_the_keyring_only(qtbot, file_keyring):
    store = SettingsStore()
    dialog = SettingsDialog(store, Profile(name="Main"))
    qtbot.addWidget(dialog)
    more = dialog.more_destinations
    more.lines.setPlainText("tiktok=rtmp://push.example/live,canvas=vertical,preset=TikTok\n"
                            "\n# a comment\nyt=rtmps://a.rtmps.youtube.com:443/live2,preset=youtube")
    more.key_for.setCurrentText("tiktok")
    more.key.setText("tt_SECRET789")
    more.save_key()
    assert "keyring" in more.note.text() and more.key.text() == ""
    dialog.accept()
    saved = store.load_profile("Main")
    assert saved.destinations == [
        {"name": "tiktok", "url": "rtmp://push.example/live", "canvas": "vertical", "preset": "tiktok", "protocol": ""},
        {"name": "yt", "url": "rtmps://a.rtmps.youtube.com:443/live2", "canvas": "landscape", "preset": "youtube",
         "protocol": ""}]
    assert store.secrets.get("stream-key:tiktok") == "tt_SECRET789"
    assert "tt_SECRET789" not in "".join(p.read_text() for p in paths.config_dir().rglob("*.json"))
    again = SettingsDialog(store, saved)  # shown again as the lines it was typed as
    qtbot.addWidget(again)
    assert again.more_destinations.lines.toPlainText().splitlines() == [
        "tiktok=rtmp://push.example/live,canvas=vertical,preset=tiktok",
        "yt=rtmps://a.rtmps.youtube.com:443/live2,preset=youtube"]
    again.more_destinations.lines.setPlainText("a=rtmp://x/live\na=rtmp://y/live")
    again.accept()
    assert again.isVisible() is False and "destination 'a': the name is used twice" in again.error.text()
    again.more_destinations.lines.setPlainText("b=ftp://x/live")
    again.accept()
    assert "destination 'b': bad ingest URL" in again.error.text()


def test_a_platform_address_in_clear_text_is_refused_unless_on_this_computer(qtbot, file_keyring):
    """docs/protocol.md: ws:// on loopback, wss:// anywhere else (the token goes in the hello). The
    dialog says so at Save, in one line, instead of the client refusing at connect time."""
    dialog = SettingsDialog(SettingsStore(), Profile(name="Main"))
    qtbot.addWidget(dialog)
    form = dialog.destination
    form.kind.setCurrentIndex(form.kind.findData("custom"))
    form.url.setText("rtmp://example.com/live")
    form.platform_url.setText("ws://shop.example.com/v1?token=sekrit")
    dialog.accept()
    assert dialog.result() == 0
    error = dialog.error.text()
    assert "wss://" in error and "ws://shop.example.com/v1" in error and "\n" not in error
    assert "sekrit" not in error  # the address is shown without its query
    for accepted in ("wss://shop.example.com/v1", "ws://127.0.0.1:8765/v1"):
        form.platform_url.setText(accepted)
        dialog.accept()
        assert dialog.result() == 1, dialog.error.text()
        assert SettingsStore().load_profile("Main").destination.platform_url == accepted
