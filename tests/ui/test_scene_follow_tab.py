"""The Show dock's Scenes tab: the seller links a show moment to a scene, it is kept in the profile,
and showing an item switches the program."""

from __future__ import annotations

import pytest

from seller_studio.studio.settings import SettingsStore

pytestmark = pytest.mark.qt


def test_scenes_tab_links_moments_and_the_show_switches(qtbot, make_window, small_profile, sandbox):
    store = SettingsStore()
    store.save_profile(small_profile)
    window = make_window(small_profile, sandbox, store)
    panel = window.show_panel
    tab = panel.scene_follow
    panel.tabs.setCurrentWidget(tab)
    box = tab.boxes["item"]
    assert [box.itemText(i) for i in range(box.count())] == ["(don't switch)", "Pattern", "Titled"]
    tab.choose("item", "Titled")
    assert store.load_profile(small_profile.name).scene_follow == {"item": "Titled"}
    window.controller.switch_scene("Pattern")
    qtbot.waitUntil(lambda: window.controller.program_scene == "Pattern", timeout=3000)
    panel.next_item()
    qtbot.waitUntil(lambda: window.controller.program_scene == "Titled", timeout=3000)
    tab.boxes["item"].setCurrentIndex(0)  # back to "don't switch"
    assert store.load_profile(small_profile.name).scene_follow == {}
