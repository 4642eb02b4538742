"""The replay window draws the model: scrubber, speed, chat and timeline follow the player."""

from __future__ import annotations

import pytest

from seller_studio.diagnostics.replay import Replay
from seller_studio.ui.replay.window import ReplayWindow

pytestmark = pytest.mark.qt


def sample_replay() -> Replay:
    entries = [{"t": 0.0, "kind": "head", "name": "journal", "data": {}}]
    for i in range(10):
        entries.append({"t": float(i), "kind": "platform_in", "name": "chat.message",
                        "data": {"seq": i + 1, "user": "viewer", "text": f"hello {i}", "msg_id": f"m{i}"}})
        entries.append({"t": i + 0.5, "kind": "stats", "name": "stats",
                        "data": {"fps": 30, "dropped": {"network": i},
                                 "outputs": [{"kind": "stream", "bitrate_sent_kbps": 2000 + i, "send_buffer_ms": 10}]}})
    entries.append({"t": 4.0, "kind": "media", "name": "scene_switched", "data": {"scene": "pip"}})
    entries.append({"t": 6.0, "kind": "media", "name": "output_state",
                    "data": {"output": "stream", "kind": "stream", "state": "reconnecting", "attempt": 1}})
    entries.append({"t": 7.0, "kind": "platform_in", "name": "item.shown",
                    "data": {"seq": 11, "item": {"item_id": "i1", "title": "Lamp"}}})
    return Replay(entries)


def test_window_follows_seek_and_play(qtbot):
    replay = sample_replay()
    window = ReplayWindow(replay, "bundle.zip")
    qtbot.addWidget(window)
    window.show()
    assert window.chat.count() == 1  # the event at t=0
    window.seek(4.5)
    assert window.chat.count() == 5 and window.scene_label.text() == "Scene: pip"
    assert window.scrubber.value() == 45
    window.speed_box.setCurrentIndex(window.speed_box.findData(4.0))
    assert window.player.speed == 4.0
    window.toggle_play()
    window.advance(1.0)  # 4 s of session at 4x
    assert window.chat.count() == 9 and window.item_label.text() == "Item: Lamp"
    assert any("reconnecting" in window.timeline.item(i).text() for i in range(window.timeline.count()))
    window.plot.grab()  # paints the plots with markers without error
    window.advance(10.0)
    assert not window.player.is_playing and window.play_button.text() == "Play"
