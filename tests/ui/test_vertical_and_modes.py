"""Vertical canvas and camera modes in the window's parts: the preview's scale-mode menu and safe-zone
guide, the Settings sizes and camera-mode box, and the wizard's picture shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt

from seller_studio.media.compositor import Layer, ScaleMode, Scene
from seller_studio.media.sources.camera_modes import parse_v4l2_ctl
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.studio import Studio
from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.ui.camera_modes import AUTO_LABEL, CameraModeBox, mode_items
from seller_studio.ui.preview import PreviewWidget
from seller_studio.ui.settings_dialog import SettingsDialog

C920 = Path(__file__).parents[1] / "media" / "data" / "cameras" / "logitech-c920.txt"


def test_preview_menu_sets_the_scale_mode_and_shows_the_safe_zone(qtbot):
    studio = Studio(360, 640, 30)
    studio.add_source(TestPatternSource("tp", 640, 360, 30))
    studio.add_scene(Scene("s", [Layer("tp")]))
    studio.start()
    preview = PreviewWidget()
    qtbot.addWidget(preview)
    preview.resize(360, 640)
    preview.set_studio(studio)
    preview.show()
    try:
        changed = []
        preview.layer_changed.connect(lambda: changed.append(True))
        menu = preview.context_menu(0)
        labels = [a.text() for a in menu.actions() if a.text()]
        assert labels[:4] == ["Scale: automatic (fill cameras, fit titles)", "Scale: Fill (crop to cover)",
                              "Scale: Fit (show all, with bars)", "Scale: Stretch (distorts)"]
        next(a for a in menu.actions() if a.text().startswith("Scale: Fit")).trigger()
        assert studio.compositor.scenes["s"].layers[0].scale_mode == ScaleMode.FIT and changed
        qtbot.waitUntil(lambda: (got := studio.preview()) is not None and got[1][5, 180].sum() == 0, timeout=3000)
        guide = next(a for a in preview.context_menu(0).actions() if a.text() == "Show the phone safe zone")
        assert not preview.is_safe_zone_shown
        guide.trigger()
        assert preview.is_safe_zone_shown
        qtbot.waitUntil(lambda: preview._image is not None, timeout=3000)
        shot = preview.grab().toImage()
        top = shot.pixelColor(preview.width() // 2, preview._target_rect().top() + 5)
        middle = shot.pixelColor(preview.width() // 4, preview.height() // 2)
        assert top.red() > top.blue()  # the header band is shaded red over the black letterbox bar
        assert middle.red() != 255 or middle.green() != 80  # the middle is the picture, not the shade
    finally:
        preview.stop()
        studio.stop()


def test_camera_mode_box_lists_the_modes_and_keeps_a_saved_choice(qtbot):
    modes = parse_v4l2_ctl(C920.read_text())
    items = mode_items(modes)
    assert items[0] == ("2304 × 1536 · 2 fps · YUYV", "2304x1536@2")
    assert ("1920 × 1080 · 30 fps · MJPG", "1920x1080@30") in items
    assert ("640 × 480 · 30 fps · YUYV", "640x480@30") in items  # raw where raw reaches the rate
    box = CameraModeBox("1280x720@30")
    qtbot.addWidget(box)
    box.set_modes(modes, "")
    assert box.currentText() == "1280 × 720 · 30 fps · MJPG" and box.value() == "1280x720@30"
    box.setCurrentIndex(0)
    assert box.currentText() == AUTO_LABEL and box.value() is None


def test_settings_offers_vertical_sizes_and_saves_the_camera_mode(qtbot, file_keyring):
    profile = Profile(name="Main")
    profile.sources = [{"id": "camera-1", "kind": "camera", "spec": "HD Pro Webcam C920", "label": "Face cam"}]
    dialog = SettingsDialog(SettingsStore(), profile)
    qtbot.addWidget(dialog)
    texts = [dialog.size.itemText(i) for i in range(dialog.size.count())]
    assert "1080 × 1920  (vertical 9:16, phones)" in texts and "720 × 1280  (vertical 9:16, phones)" in texts
    box = dialog.camera_modes["camera-1"]
    qtbot.waitUntil(lambda: "not connected" in box.toolTip() or box.count() > 1, timeout=5000)
    box.set_modes(parse_v4l2_ctl(C920.read_text()), "")  # as listed by a machine with the camera plugged in
    box.setCurrentIndex(box.findData("1280x720@30"))
    dialog.size.setCurrentIndex(dialog.size.findData("720x1280"))
    dialog.accept()
    assert dialog.result() == 1, dialog.error.text()
    saved = SettingsStore().load_profile("Main")
    assert (saved.video.width, saved.video.height) == (720, 1280)
    assert saved.sources[0]["mode"] == "1280x720@30"


def test_wizard_vertical_shape_turns_the_canvas_and_lays_out_for_phones(qtbot, file_keyring, monkeypatch):
    from seller_studio.ui import wizard as wizard_mod

    monkeypatch.setattr(wizard_mod, "run_bench_lazily", lambda: {
        "recommended": {"width": 1280, "height": 720, "fps": 30, "bitrate_kbps": 3000}})
    store = SettingsStore()
    wizard = wizard_mod.SetupWizard(store, Profile(name="Default"))
    qtbot.addWidget(wizard)
    wizard.bench.start()
    qtbot.waitUntil(lambda: wizard.bench.recommended is not None, timeout=10_000)
    wizard.devices.shape.setCurrentIndex(wizard.devices.shape.findData("vertical"))
    profile = wizard.collect()
    assert (profile.video.width, profile.video.height) == (720, 1280)
    title_scene = next(s for s in profile.scenes if s["name"] == "Camera + title")
    x, y, w, h = title_scene["layers"][1]["rect"]
    assert y >= 1280 * 0.12 and w > 720 * 0.7  # across the top, under the app's header
    wizard.devices.close_devices()


def test_product_card_sits_above_the_comments_on_a_vertical_canvas():
    from seller_studio.ui.product_card import CardStyle

    r = CardStyle().rect(1080, 1920)
    assert r.y + r.h <= 1920 * 0.70 and r.x + r.w <= 1080 * 0.84  # clear of comments and side buttons
    landscape = CardStyle().rect(1920, 1080)
    assert (landscape.x, landscape.y) == (38, 713)  # unchanged on landscape
    assert np.isclose(CardStyle(x_frac=0.5).rect(1080, 1920).x, 540)  # a card the seller moved stays put


def test_wizard_says_so_when_the_previewed_camera_vanishes(qtbot, file_keyring):
    from seller_studio.media.sources.camera import CameraSource
    from seller_studio.ui.wizard import SetupWizard
    from tests.media.camera_sim import SimCapture, SimDevice

    wizard = SetupWizard(SettingsStore(), Profile(name="Default"))
    qtbot.addWidget(wizard)
    page = wizard.devices
    qtbot.waitUntil(lambda: page.source is not None, timeout=5000)  # the wizard's own first preview
    sim = SimDevice(parse_v4l2_ctl(C920.read_text()))
    cam = CameraSource("wizard", 0, 640, 360, 15, capture_factory=lambda: SimCapture(sim), modes=sim.modes,
                       name="HD Pro Webcam C920")
    cam.start()
    page._close_camera()
    page.source = cam
    try:
        qtbot.waitUntil(lambda: page.picture.pixmap() is not None and not page.picture.pixmap().isNull(), timeout=3000)
        sim.is_gone = True  # unplugged while previewed
        qtbot.waitUntil(lambda: "stopped giving pictures" in page.status.text(), timeout=4000)
        assert wizard.isEnabled()  # the wizard goes on: another camera or the test pattern can be chosen
    finally:
        page.close_devices()


def test_a_camera_notice_reaches_the_status_bar(qtbot, make_window, small_profile):
    window = make_window(small_profile)
    sentence = "This camera gives 10 fps at 1920x1080 — choose 1600x896 or 1280x720 for 30 fps."
    window.studio.events.emit("camera_notice", source_id="pattern-1", message=sentence)  # from its capture thread
    qtbot.waitUntil(lambda: sentence in window.statusBar().currentMessage(), timeout=3000)
    assert window.statusBar().currentMessage().startswith("Pattern")  # which camera says it


def test_the_window_shows_the_vertical_canvas_and_a_drag_there_keeps_that_scene(make_window, small_profile, qtbot):
    """Issue 14: the vertical program beside the landscape one; dragging its title makes the vertical
    scene the seller's own (kept in the profile) instead of derived."""
    from seller_studio.studio.settings import VerticalPrefs

    small_profile.vertical = VerticalPrefs(True, 180, 320, 500)
    window = make_window(small_profile)
    vertical = window.vertical_preview
    assert window.stage.vertical_column.isVisible() and window.studio.vertical is not None
    qtbot.waitUntil(lambda: vertical._image is not None, timeout=5000)
    assert vertical._canvas_size() == (180, 320)
    # The product card is on the phone canvas too, laid out for its shape (just above the comments).
    qtbot.waitUntil(lambda: any(o.source_id == "product-card" for o in window.studio.vertical.overlays), timeout=3000)
    card = next(o for o in window.studio.vertical.overlays if o.source_id == "product-card")
    assert card.rect is not None and card.rect.y + card.rect.h <= 320 * 0.7
    target = vertical._target_rect()
    assert target.height() > target.width()  # a phone-shaped picture
    window.controller.switch_scene("Titled")
    qtbot.waitUntil(lambda: window.studio.vertical.active_scene == "Titled", timeout=3000)
    title = vertical._layer_rect(1)
    assert title is not None
    start = vertical._to_widget(title).center()
    qtbot.mousePress(vertical, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vertical, start + QPoint(0, 20))
    qtbot.mouseRelease(vertical, Qt.MouseButton.LeftButton, pos=start + QPoint(0, 20))
    moved = vertical._layer_rect(1)
    assert moved is not None and moved.y > title.y
    assert [s["name"] for s in window.controller.profile.vertical_scenes] == ["Titled"]
    assert window.controller.profile.vertical_scenes[0]["layers"][1]["rect"][1] == moved.y
    follow = next(a for a in vertical.context_menu(-1).actions() if a.text() == "Follow the landscape scene again")
    follow.trigger()
    assert window.controller.profile.vertical_scenes == [] and vertical._layer_rect(1) == title
