"""Scenes without accidents (issue 20 item 4): a new scene never goes on air by being created, Studio
Mode prepares the next scene off air and cuts or fades to it, and the window fits a 1280-wide
screen whatever the number of scenes."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import H, W, wait_state

pytestmark = pytest.mark.qt


def with_scenes(profile, count: int):
    profile.scenes = [{"name": f"Scene {i + 1}", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]}
                      for i in range(count)]
    return profile


def program_levels(window, seconds: float, qtbot) -> list[float]:
    """Mean brightness of each new program frame (what the session encodes) for ``seconds``."""
    levels, last = [], -1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latest = window.studio.preview()
        if latest is not None and latest[0] != last:
            last = latest[0]
            levels.append(float(np.asarray(latest[1]).mean()))
        qtbot.wait(10)
    return levels


@pytest.mark.parametrize("count", [1, 5, 12])
def test_the_window_fits_1280_wide_with_any_number_of_scenes(qtbot, make_window, small_profile, count):
    window = make_window(with_scenes(small_profile, count))
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280 and bool(window.mixer.strips), timeout=5000)
    assert len(window.scene_bar.buttons) == count
    normal = window.minimumSizeHint().width()
    window.controls.studio_mode_button.click()
    assert window.width() == 1280  # turning Studio Mode on does not grow the window
    qtbot.waitUntil(lambda: window.stage.preview_column.isVisible(), timeout=2000)
    qtbot.wait(200)
    studio_mode = window.minimumSizeHint().width()
    print(f"\n{count} scenes: minimum width {normal} px, in Studio Mode {studio_mode} px")
    assert normal <= 1280 and studio_mode <= 1280 and window.width() == 1280
    # The centre is tall at 1280x720 with the docks open: the preview goes above the program, so both
    # pictures keep the centre's full width instead of a third of it each.
    assert window.stage.is_stacked
    assert window.preview.width() >= 300 and window.scene_preview.width() >= 300, (
        window.preview.width(), window.scene_preview.width())
    # End Show / Go Live and Record stay on screen, inside the window.
    for button in (window.go_live_button, window.record_button, window.controls.studio_mode_button):
        right = button.mapTo(window, button.rect().topRight()).x()
        assert button.isVisible() and 0 < right <= window.width(), (button.text(), right)


def test_adding_a_scene_while_live_leaves_the_program_on_air(qtbot, make_window, small_profile, sandbox):
    window = make_window(small_profile, sandbox)
    comp = window.studio.compositor
    window.go_live_button.click()
    wait_state(qtbot, window, "live")
    before = program_levels(window, 0.5, qtbot)
    assert before and min(before) > 20  # the test pattern is on air
    window.ask_text = lambda title, label, text: "Unboxing"
    window.add_scene_button.click()
    assert "Unboxing" in comp.scenes and "Unboxing" in window.scene_bar.buttons
    after = program_levels(window, 1.5, qtbot)
    assert len(after) >= 10 and min(after) > 20, after  # never a black (empty) frame on air
    assert comp.active_scene == "Pattern"
    # The new scene opened in Studio Mode's preview, where the seller fills it before it goes on air.
    assert window.controller.studio_mode and window.controller.preview_scene == "Unboxing"
    assert window.controls.studio_mode_button.isChecked() and window.stage.preview_column.isVisible()
    qtbot.waitUntil(lambda: comp.preview_frame() is not None, timeout=3000)
    assert float(comp.preview_frame()[1].mean()) < 1  # the empty scene shows in the preview only
    assert window.scene_bar.buttons["Unboxing"].isChecked() and window.scene_bar.on_air == "Pattern"
    assert "not on air" in window.statusBar().currentMessage()
    window.end_show()
    wait_state(qtbot, window, "idle")


def test_adding_a_scene_when_not_live_shows_it_to_fill(qtbot, make_window, small_profile):
    window = make_window(small_profile)
    window.ask_text = lambda title, label, text: "Close-up"
    window.add_scene_button.click()
    assert window.studio.compositor.active_scene == "Close-up" and not window.controller.studio_mode


def test_studio_mode_hotkeys_load_the_preview_then_cut_and_fade_change_the_program(qtbot, make_window,
                                                                                  small_profile):
    small_profile.scenes.append({"name": "Empty", "canvas": [W, H], "layers": []})
    window = make_window(small_profile)
    comp = window.studio.compositor
    window.controls.studio_mode_button.click()
    assert window.controller.studio_mode and comp.preview_scene == "Pattern"
    assert not window.preview.is_editable and window.scene_preview.is_editable
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_3)  # in Studio Mode a scene key loads the preview
    qtbot.waitUntil(lambda: comp.preview_scene == "Empty", timeout=2000)
    assert comp.active_scene == "Pattern" and window.scene_bar.buttons["Empty"].isChecked()
    assert "Preview: Empty" in window.stage.preview_label.text()
    assert min(program_levels(window, 0.5, qtbot)) > 20  # still the pattern on the program
    # Fade: the program dissolves to black over the chosen duration, through in-between frames.
    window.stage.fade_ms.setValue(1500)
    assert window.profile.fade_ms == 1500
    window.stage.fade_button.click()
    levels = program_levels(window, 2.5, qtbot)
    assert comp.active_scene == "Empty"
    start = levels[0]
    middle = [v for v in levels if 0.15 * start < v < 0.85 * start]
    print(f"\nfade of 1500 ms: {len(middle)} in-between program frames of {len(levels)} sampled")
    assert len(middle) >= 5 and levels[-1] < 1
    # Cut: back to the pattern at once (picked with the hotkey, then the transition hotkey T, here a cut).
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: comp.preview_scene == "Pattern", timeout=2000)
    window.stage.cut_button.click()
    qtbot.waitUntil(lambda: comp.active_scene == "Pattern" and not comp.is_fading, timeout=2000)
    qtbot.wait(150)  # the frame shown when Cut was pressed is still the newest for a tick
    levels = program_levels(window, 0.5, qtbot)
    assert min(levels) > 20
    # The transition hotkey fades with the saved duration.
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: comp.preview_scene == "Empty", timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: comp.active_scene == "Empty", timeout=2000)
    # Studio Mode off: the program alone, scene keys switch it again.
    window.controls.studio_mode_button.click()
    assert comp.preview_scene is None and comp.preview_frame() is None and window.preview.is_editable
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: comp.active_scene == "Pattern", timeout=2000)


def test_in_studio_mode_sources_are_added_to_the_preview_scene(qtbot, make_window, small_profile):
    small_profile.scenes.append({"name": "Empty", "canvas": [W, H], "layers": []})
    window = make_window(small_profile)
    comp = window.studio.compositor
    window.controls.studio_mode_button.click()
    window.pick_scene("Empty")
    added = []
    window.add_source({"kind": "text", "spec": "Sale!", "label": "Sale"}, on_added=added.append)
    qtbot.waitUntil(lambda: bool(added), timeout=5000)
    assert [layer.source_id for layer in comp.scenes["Empty"].layers] == added
    assert [layer.source_id for layer in comp.scenes["Pattern"].layers] == ["pattern-1"]
    assert window.sources_panel.list.count() == 1 and "Sale" in window.sources_panel.list.item(0).text()
    assert comp.active_scene == "Pattern"


def test_in_studio_mode_layers_are_dragged_on_the_preview_not_on_air(qtbot, make_window, small_profile):
    from PySide6.QtCore import QPoint

    from seller_studio.media.compositor import Rect

    window = make_window(small_profile)
    window.resize(1600, 900)
    comp = window.studio.compositor
    window.controls.studio_mode_button.click()
    window.pick_scene("Titled")
    qtbot.wait(300)
    view = window.scene_preview
    assert view.scene_name() == "Titled" and comp.active_scene == "Pattern"
    qtbot.mousePress(window.preview, Qt.MouseButton.LeftButton, pos=window.preview.rect().center())
    assert window.preview.selected == -1  # the program picture does not take edits in Studio Mode
    start = view._to_widget(Rect(10, 10, 120, 30)).center()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    assert view.selected == 1 and window.sources_panel.selected_layer() == 1
    scale = view._target_rect().width() / W
    end = start + QPoint(round(50 * scale), round(40 * scale))
    qtbot.mouseMove(view, end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    rect = comp.scenes["Titled"].layers[1].rect
    assert abs(rect.x - 60) <= 3 and abs(rect.y - 50) <= 3
    assert comp.active_scene == "Pattern" and [la.rect for la in comp.scenes["Pattern"].layers] == [None]


def test_the_fade_set_in_settings_reaches_the_stage_and_the_hotkey(qtbot, make_window, small_profile):
    import copy

    small_profile.scenes.append({"name": "Empty", "canvas": [W, H], "layers": []})
    window = make_window(small_profile)
    comp = window.studio.compositor
    profile = copy.deepcopy(window.profile)
    profile.fade_ms = 0  # Settings: "Cut (no fade)"
    window.apply_profile(profile)
    assert window.stage.fade_ms.value() == 100 and window.profile.fade_ms == 0  # the box did not write back
    window.set_studio_mode(True)
    window.pick_scene("Empty")
    window.transition_to_program(window.profile.fade_ms)  # what the hotkey does: a cut
    assert comp.active_scene == "Empty" and not comp.is_fading
