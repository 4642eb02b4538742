"""The second (vertical) canvas in the profile and the assembler: old profiles load without it, its
size is checked with one line naming the field, its scenes are derived from the landscape ones until
edited, and the edited ones come back from the profile."""

from __future__ import annotations

import json

import pytest

from seller_studio.studio.assembly import build_studio, vertical_scenes_to_json
from seller_studio.studio.settings import Profile, SettingsStore, VerticalPrefs

pytestmark = pytest.mark.timeout(60)

# A profile as the studio wrote it before the second canvas existed (no "vertical", no "vertical_scenes").
OLD_PROFILE = {
    "name": "Shop", "video": {"width": 1280, "height": 720, "fps": 30, "encoder": "x264", "bitrate_kbps": 2500},
    "audio": {"mic": "silence", "gain_db": 0.0},
    "sources": [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"},
                {"id": "pattern-2", "kind": "test-pattern", "spec": "", "label": "Product"}],
    "scenes": [{"name": "Camera", "canvas": [1280, 720], "layers": [{"source_id": "pattern-1", "rect": None}]},
               {"name": "Side by side", "canvas": [1280, 720],
                "layers": [{"source_id": "pattern-1", "rect": [0, 0, 640, 720]},
                           {"source_id": "pattern-2", "rect": [640, 0, 640, 720]}]}],
}


def test_an_old_profile_loads_with_the_vertical_canvas_off_and_saves_the_new_fields():
    store = SettingsStore()
    path = store.profile_path("Shop")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(OLD_PROFILE))
    profile = store.load_profile("Shop")
    assert store.notices == []
    assert profile.vertical == VerticalPrefs() and not profile.vertical.is_enabled
    assert (profile.vertical.width, profile.vertical.height) == (720, 1280)
    assert profile.vertical_scenes == [] and len(profile.scenes) == 2
    profile.vertical.is_enabled = True
    store.save_profile(profile)
    saved = json.loads(path.read_text())
    assert saved["vertical"]["is_enabled"] is True and saved["vertical_scenes"] == []
    assert store.load_profile("Shop") == profile


@pytest.mark.parametrize(("vertical", "words"), [
    ({"width": 1280, "height": 720}, "not upright"),
    ({"width": 721, "height": 1280}, "vertical size"),
    ({"is_enabled": "yes"}, "`vertical.is_enabled`"),
    ({"bitrate_kbps": 10}, "vertical bitrate"),
])
def test_a_bad_vertical_canvas_is_one_line_naming_it(vertical, words):
    store = SettingsStore()
    path = store.profile_path("Shop")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**OLD_PROFILE, "vertical": vertical}))
    assert store.load_profile("Shop") == Profile(name="Shop")
    assert len(store.notices) == 1 and words in store.notices[0], store.notices


def test_the_vertical_canvas_gets_derived_scenes_and_keeps_the_edited_one():
    profile = Profile.from_json(OLD_PROFILE)
    profile.vertical = VerticalPrefs(True, 720, 1280, 2000)
    edited = {"name": "Camera", "canvas": [720, 1280],
              "layers": [{"source_id": "pattern-2", "rect": [0, 0, 360, 640], "scale": "fit"}]}
    profile.vertical_scenes = [edited]
    result = build_studio(profile, is_strict=True)
    studio = result.studio
    try:
        vertical = studio.vertical
        assert vertical is not None and (vertical.width, vertical.height) == (720, 1280)
        assert vertical.sources is studio.compositor.sources  # the same sources, opened once
        assert list(vertical.scenes) == list(studio.compositor.scenes)
        assert result.vertical_edited == {"Camera"}
        camera = vertical.scenes["Camera"].layers
        assert [(layer.source_id, layer.rect.w, layer.rect.h) for layer in camera] == [("pattern-2", 360, 640)]
        stacked = vertical.scenes["Side by side"].layers  # derived: stacked, each a half of the height
        assert [(r.rect.x, r.rect.y, r.rect.w, r.rect.h) for r in stacked] == [(0, 0, 720, 640), (0, 640, 720, 640)]
        # Only the edited scene goes back into the profile; the derived one follows its landscape scene.
        assert [s["name"] for s in vertical_scenes_to_json(studio, result.vertical_edited)] == ["Camera"]
        # Switching a scene switches both canvases.
        studio.set_scene("Side by side")
        assert vertical.active_scene == "Side by side"
    finally:
        studio.stop()


def test_without_the_vertical_canvas_nothing_changes():
    profile = Profile.from_json(OLD_PROFILE)
    studio = build_studio(profile, is_strict=True).studio
    try:
        assert studio.vertical is None
        assert studio.compositor_for("landscape") is studio.compositor
        with pytest.raises(KeyError):
            studio.compositor_for("vertical")
    finally:
        studio.stop()


def test_a_vertical_destination_turns_the_vertical_canvas_on():
    profile = Profile.from_json({**OLD_PROFILE, "destinations": [
        {"name": "tiktok", "url": "rtmp://127.0.0.1:1935/live", "canvas": "vertical"}]})
    assert not profile.vertical.is_enabled and profile.has_vertical_canvas
    studio = build_studio(profile, is_strict=True).studio
    try:
        assert studio.vertical is not None and (studio.vertical.width, studio.vertical.height) == (720, 1280)
        assert studio.compositor_for("vertical") is studio.vertical
    finally:
        studio.stop()
