"""Scenes follow the show: moments switch once, a switch by hand wins until the next moment, per-item
scenes, rules in the profile; then a real studio controller driven by a show controller."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.studio.scene_follow import SceneFollower, check_rules
from seller_studio.studio.settings import Profile
from tests.studio.test_controller import Rig, _ready

W, H, FPS = 320, 180, 30


def _follower(rules: dict[str, str]) -> tuple[SceneFollower, list[str]]:
    program: list[str] = ["Face"]
    scenes = ["Face", "Overhead", "Product", "Board", "Thanks", "Charizard"]

    def switch(name: str) -> bool:
        program.append(name)
        return True

    return SceneFollower(switch, lambda: scenes, rules), program


def test_moments_switch_once_and_the_hand_wins_until_the_next() -> None:
    follower, program = _follower({"auction": "Overhead", "item": "Product", "draw": "Board", "show_end": "Thanks",
                                   "item:7": "Charizard"})
    follower.on_show_event("now_showing", {"index": 0, "item_id": 3})
    assert program[-1] == "Product"
    follower.on_show_event("auction_started", {"auction_id": "a1", "item_id": 3})
    assert program[-1] == "Overhead"
    program.append("Face")  # the seller cuts to the face cam by hand...
    follower.manual_switch("Face")
    follower.on_show_event("auction_started", {"auction_id": "a1", "item_id": 3})  # ...a replayed start
    follower.on_show_event("auction_sold", {"auction_id": "a1", "item_id": 3})  # not a moment
    assert program[-1] == "Face" and follower.is_manual_now
    follower.on_show_event("now_showing", {"index": 1, "item_id": 7})  # the next moment switches again
    assert program[-1] == "Charizard" and not follower.is_manual_now  # its own product scene
    follower.on_show_event("now_showing", {"index": None, "item_id": None})
    assert program[-1] == "Charizard"
    assert follower.moment("draw", key=object()).scene == "Board"
    follower.on_show_event("show_ended", {"ended_at": 1.0})
    assert program[-1] == "Thanks"
    assert [s.moment for s in follower.history] == ["item", "auction", "item", "draw", "show_end"]


def test_missing_or_unset_scenes_switch_nothing() -> None:
    follower, program = _follower({"auction": "Gone"})
    follower.on_show_event("auction_started", {"auction_id": "a", "item_id": 1})
    follower.on_show_event("now_showing", {"index": 0, "item_id": 1})
    assert program == ["Face"]


def test_rules_live_in_the_profile() -> None:
    profile = Profile.from_json({"name": "P", "scene_follow": {"auction": "Overhead", "item:12": "Lamp", "draw": ""}})
    assert profile.scene_follow == {"auction": "Overhead", "item:12": "Lamp"}
    assert Profile.from_json(profile.to_json()).scene_follow == profile.scene_follow
    with pytest.raises(ValueError, match="unknown moment 'bids'"):
        check_rules({"bids": "x"})
    with pytest.raises(ValueError, match="scene_follow.auction` must be text"):
        Profile.from_json({"scene_follow": {"auction": 3}})


def test_a_studio_controller_follows_a_show(file_keyring, tmp_path: Path) -> None:
    profile = Profile(name="Follow")
    profile.video.width, profile.video.height, profile.video.fps = W, H, FPS
    profile.audio.mic = "tone"
    profile.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"}]
    profile.scenes = [{"name": n, "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]}
                      for n in ("Face", "Overhead", "Product", "Thanks")]
    store = InventoryStore(tmp_path / "inv.db")
    show = ShowController(store, "tonight")
    for title in ("Lamp", "Bowl"):
        show.add_item(Item(title, type="auction", price_cents=500))
    rig = Rig(profile, journal=None)
    try:
        _ready(rig)
        rig.call(lambda c: c.set_scene_follow({"auction": "Overhead", "item": "Product", "show_end": "Thanks"}))
        assert rig.store.load_profile("Follow").scene_follow == {"auction": "Overhead", "item": "Product",
                                                                "show_end": "Thanks"}
        rig.call(lambda c: c.follow_show(show))

        def program() -> str:
            time.sleep(0.15)  # the switch reaches the next rendered frame
            return rig.ctl.studio.compositor.active_scene

        rig.call(lambda c: c.switch_scene("Face"))
        assert program() == "Face"
        show.begin_show()
        rig.call(lambda c: show.show_index(0))
        assert program() == "Product"
        rig.call(lambda c: c.switch_scene("Face"))  # by hand: it stays...
        rig.call(lambda c: show.run.events.emit("queue_changed", item_ids=list(show.run.item_ids)))
        assert program() == "Face"
        rig.call(lambda c: show.show_index(1))  # ...until the next moment
        assert program() == "Product"
        rig.call(lambda c: show.end_show_run())  # the platform's show.ended
        assert program() == "Thanks"
        # End Show while recording: the thank-you scene is on air before the outputs stop.
        rig.call(lambda c: c.switch_scene("Face"))
        profile.record_dir = str(tmp_path / "rec")
        rig.call(lambda c: c.set_recording(True))
        rig.wait(lambda: rig.ctl.recording is not None and rig.ctl.recording.first_video_pts_s is not None, 15, "rec")
        asked_at = time.monotonic()
        rig.call(lambda c: c.end_show())
        assert program() == "Thanks" and rig.ctl.recording is not None  # still recording the thanks
        rig.wait(lambda: rig.ctl.live_state.value == "idle", 20, "idle")
        assert time.monotonic() - asked_at >= 2.9
    finally:
        rig.close()
