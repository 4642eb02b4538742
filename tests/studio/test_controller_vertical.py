"""The studio controller with a vertical canvas (issue 14 item 2), on a plain owner thread: live to a
real nginx-rtmp with Record on records both canvases (NAME.mkv and NAME.vertical.mkv, each at its
size with sound); the vertical scenes follow the landscape ones until edited, and the edited ones
are kept in the profile."""

from __future__ import annotations

import time

import numpy as np
import pytest

from seller_studio.diagnostics.journal import read_journal
from seller_studio.diagnostics.reproduce import derive_plan
from seller_studio.media.compositor import Rect
from seller_studio.studio.events import LiveState, RecordingChanged, StatusMessage
from seller_studio.studio.settings import Profile, VerticalPrefs
from tests.helpers import ffprobe, stream_duration_s, stream_of
from tests.studio.test_controller import Rig, _custom, _ready

W, H, VW, VH = 320, 180, 180, 320


@pytest.fixture
def profile() -> Profile:
    p = Profile(name="Dual")
    p.video.width, p.video.height, p.video.fps, p.video.bitrate_kbps = W, H, 30, 600
    p.vertical = VerticalPrefs(True, VW, VH, 500)
    p.audio.mic = "tone"
    p.countdown_s = 0
    p.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"},
                 {"id": "text-1", "kind": "text", "spec": "Hello", "label": "Title"}]
    p.scenes = [{"name": "Pattern", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]}]
    return p


@pytest.mark.rtmp
def test_live_with_record_records_both_canvases(nginx, file_keyring, profile, tmp_path):
    profile.record_dir = str(tmp_path / "rec")
    profile.record_when_live = True
    rig = Rig(_custom(profile, nginx.url), journal=None)
    try:
        rig.store.set_stream_key(rig.ctl.profile, "dual-key")
        _ready(rig)
        assert rig.ctl.studio.vertical is not None
        assert rig.call(lambda c: c.prepare_go_live())
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        rig.wait(lambda: any("vertical canvas" in e.text for e in rig.of(StatusMessage)), 10, "vertical recording")
        rig.wait(lambda: rig.ctl.studio.vertical_session is not None, 5, "the vertical session")
        rig.wait(lambda: bool(rig.ctl.vertical_stats), 5, "the vertical canvas's stats")
        assert rig.ctl.vertical_stats["canvas"] == "vertical"
        time.sleep(2)
        recording, vertical = rig.ctl.recording, rig.ctl.vertical_recording
        assert vertical is not None and vertical.path.name == recording.path.stem + ".vertical.mkv"
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
        assert rig.ctl.studio.vertical_session is None and rig.ctl.vertical_recording is None
        assert not rig.of(RecordingChanged)[-1].is_on
        head = next(e for e in read_journal(rig.ctl.journal.path.read_text()) if e.get("name") == "profile")["data"]
        assert head["vertical_canvas"]["width"] == VW and head["vertical_canvas"]["scenes"][0]["name"] == "Pattern"
        # Live with its own encode: what `seller-studio reproduce` needs to stream it again.
        assert head["vertical_canvas"]["live"] is True and head["vertical_canvas"]["bitrate_kbps"] == 500
        plan = derive_plan(read_journal(rig.ctl.journal.path.read_text()))
        assert plan.vertical is not None and (plan.vertical.width, plan.vertical.height, plan.vertical.bitrate_kbps,
                                              plan.vertical.is_live) == (VW, VH, 500, True)
    finally:
        rig.close()
    for path, size in ((recording.path, (W, H)), (vertical.path, (VW, VH))):
        probe = ffprobe(path)
        video = stream_of(probe, "video")
        assert (video["width"], video["height"]) == size
        assert stream_of(probe, "audio")["codec_name"] == "aac"
        assert stream_duration_s(path, "video") > 1.5 and stream_duration_s(path, "audio") > 1.5
    probe = ffprobe(nginx.wait_recording_closed())
    assert stream_of(probe, "video")["width"] == W and stream_of(probe, "audio")


def test_vertical_scenes_follow_until_edited_and_the_edit_is_kept(profile):
    rig = Rig(profile, journal=None)
    try:
        _ready(rig)
        studio = rig.ctl.studio
        vertical = studio.vertical
        assert list(vertical.scenes) == ["Pattern"]
        # A title added to the landscape scene shows on the phone canvas too, inside its safe zone.
        rig.call(lambda c: c.add_source({"id": "text-1", "kind": "text", "spec": "Hello", "label": "Title"}))
        rig.wait(lambda: len(vertical.scenes["Pattern"].layers) == 2, 10, "the derived title")
        assert vertical.scenes["Pattern"].layers[1].source_id == "text-1"
        # A new scene gets its vertical counterpart; a switch switches both canvases.
        rig.call(lambda c: c.add_scene("Two"))
        assert "Two" in vertical.scenes
        rig.call(lambda c: c.switch_scene("Two"))
        rig.wait(lambda: vertical.active_scene == "Two", 5, "the vertical switch")
        rig.call(lambda c: c.switch_scene("Pattern"))
        # The seller drags the vertical title: that scene is kept as edited, in the profile.
        vertical.update_layer("Pattern", 1, rect=Rect(10, 40, 100, 30))
        rig.call(lambda c: c.vertical_scene_edited("Pattern"))
        assert [s["name"] for s in rig.ctl.profile.vertical_scenes] == ["Pattern"]
        saved = rig.store.load_profile("Dual")
        assert saved.vertical_scenes[0]["layers"][1]["rect"] == [10, 40, 100, 30]
        # A landscape edit no longer overrides it...
        rig.call(lambda c: c.save_collection())
        assert vertical.scenes["Pattern"].layers[1].rect == Rect(10, 40, 100, 30)
        # ... until the seller resets it to the derived one.
        assert rig.call(lambda c: c.reset_vertical_scene("Pattern"))
        assert vertical.scenes["Pattern"].layers[1].rect != Rect(10, 40, 100, 30)
        assert rig.ctl.profile.vertical_scenes == []
        # Renaming and removing carry over to the vertical canvas.
        assert rig.call(lambda c: c.rename_scene("Two", "Close-up"))
        assert "Close-up" in vertical.scenes and "Two" not in vertical.scenes
        rig.call(lambda c: c.remove_scene("Close-up"))
        assert list(vertical.scenes) == ["Pattern"]
    finally:
        rig.close()


def test_a_break_board_is_on_the_vertical_canvas_too(profile, tmp_path):
    from seller_studio.show.controller import ShowController
    from seller_studio.show.inventory import InventoryStore
    from seller_studio.studio.breaks import VERTICAL_BOARD_SOURCE_ID, BreakSession

    rig = Rig(profile, journal=None)
    store = InventoryStore(tmp_path / "inventory.db")
    try:
        _ready(rig)
        vertical = rig.ctl.studio.vertical
        before = vertical.render_scene("Pattern", 5, time.monotonic()).copy()
        session = BreakSession(ShowController(store, "tonight"), rig.ctl, tmp_path / "breaks")
        board = session.open_break("Hobby Box", "random-team", "4", "12.50")
        assert board.total == 4
        layer = session.vertical_layer
        assert layer is not None and layer in vertical.overlays and layer.source_id == VERTICAL_BOARD_SOURCE_ID
        assert session.vertical_overlay is not None and session.vertical_overlay.wait_rendered(5.0)
        # Drawn for the phone canvas's panel (not the landscape one's, shrunk).
        assert session.vertical_overlay.frame_at(0, 0.0).size == (layer.rect.w, layer.rect.h)
        assert layer.rect.x + layer.rect.w <= VW and layer.rect.y + layer.rect.h <= VH
        assert (layer.rect.w, layer.rect.h) != (session.layer.rect.w, session.layer.rect.h)
        with_board = vertical.render_scene("Pattern", 5, time.monotonic())
        assert np.abs(with_board.astype(int) - before.astype(int)).mean() > 5  # the board is on the picture
        # Sold out, announced, drawn: the reveal runs on both canvases.
        item_id = next(iter(board.spec.listings))
        for n, buyer in enumerate(("ann", "bo", "cy", "dee")):
            board.on_sale(item_id, buyer, 1250, f"order-{n}")
        session.announce()
        result = session.draw(reveal_every_s=0.05)
        assert result is not None
        assert session.vertical_overlay.wait_drawn(5.0) and session.overlay.wait_drawn(5.0)
        session.set_on_stream(False)
        assert not layer.is_visible and not session.layer.is_visible
        session.close()
        assert layer not in vertical.overlays and VERTICAL_BOARD_SOURCE_ID not in rig.ctl.studio.sources
    finally:
        rig.close()
        store.close()
