"""The studio controller without Qt: go live to a real nginx-rtmp ingest, record, end the show,
the countdown, a bad destination, support's faults — all on a plain owner thread.

No PySide6 is imported here (``test_no_qt_in_the_controller`` checks it in a fresh interpreter).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seller_studio.diagnostics.journal import read_journal
from seller_studio.diagnostics.studio_faults import parse_for_window
from seller_studio.studio.controller import StudioController
from seller_studio.studio.destination import Destination, destination_for_profile, destination_for_url
from seller_studio.studio.dispatch import OwnerThread
from seller_studio.studio.events import (
    CountdownTick,
    HealthChanged,
    LiveState,
    LiveStateChanged,
    Notice,
    RecordingChanged,
    StatsUpdated,
    StatusMessage,
    StudioChanged,
)
from seller_studio.studio.settings import Profile, SettingsStore
from tests.helpers import ffprobe, stream_duration_s, stream_of

W, H, FPS = 320, 180, 30


class Rig:
    """A controller on its own owner thread, and every event it emitted (in order)."""

    def __init__(self, profile: Profile, **kwargs: Any) -> None:
        self.owner = OwnerThread()
        self.store = SettingsStore()
        self.events: list[Any] = []
        self._changed = threading.Condition()
        self.ctl = StudioController(self.store, profile, self.owner, **kwargs)
        self.owner.call(lambda: self.ctl.events.subscribe(self._record))

    def _record(self, event: Any) -> None:
        assert threading.current_thread() is self.owner._thread  # events arrive on the owner thread only
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def call(self, fn: Callable[[StudioController], Any]) -> Any:
        return self.owner.call(lambda: fn(self.ctl))

    def wait(self, predicate: Callable[[], bool], timeout_s: float = 15.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; events: {self.events[-12:]}")
                self._changed.wait(min(left, 0.1))

    def of(self, kind: type) -> list[Any]:
        return [e for e in list(self.events) if isinstance(e, kind)]

    def states(self) -> list[LiveState]:
        return [e.state for e in self.of(LiveStateChanged)]

    def close(self) -> None:
        self.call(lambda c: c.shutdown())
        self.owner.close()


@pytest.fixture
def profile() -> Profile:
    p = Profile(name="Ctl")
    p.video.width, p.video.height, p.video.fps, p.video.bitrate_kbps = W, H, FPS, 600
    p.audio.mic = "tone"
    p.countdown_s = 0
    p.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"}]
    p.scenes = [{"name": "Pattern", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]}]
    return p


def _custom(profile: Profile, url: str) -> Profile:
    profile.destination.kind, profile.destination.url = "custom", url
    return profile


def _ready(rig: Rig) -> None:
    rig.call(lambda c: c.load_studio())
    rig.wait(lambda: any(e.studio is not None for e in rig.of(StudioChanged)), 15, "the studio")


@pytest.mark.rtmp
def test_go_live_record_and_end_show_against_nginx(nginx, file_keyring, profile, tmp_path):
    profile.record_dir = str(tmp_path / "rec")
    rig = Rig(_custom(profile, nginx.url), journal=None)
    try:
        rig.store.set_stream_key(rig.ctl.profile, "ctl-test-key")
        _ready(rig)
        assert rig.call(lambda c: c.prepare_go_live())
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        assert rig.states()[:2] == [LiveState.STARTING, LiveState.LIVE]
        assert any(e.text == f"Live on {nginx.url}" for e in rig.of(StatusMessage))
        rig.wait(lambda: any(e.is_streaming for e in rig.of(StatsUpdated)), 5, "stats while streaming")
        assert rig.of(HealthChanged)[-1].level in ("good", "warning")

        rig.call(lambda c: c.set_recording(True))
        rig.wait(lambda: any(e.is_on and e.path for e in rig.of(RecordingChanged)), 10, "recording live")
        time.sleep(1.5)
        recording = rig.ctl.recording
        rig.call(lambda c: c.set_recording(False))
        rig.wait(lambda: any("Recording saved" in e.text for e in rig.of(StatusMessage)), 10, "recording saved")
        assert rig.ctl.live_state == LiveState.LIVE and len(rig.ctl.session.outputs) == 1  # the stream goes on
        assert stream_duration_s(recording.final_path or recording.path, "video") > 0.8

        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
        assert rig.states()[-2:] == [LiveState.ENDING, LiveState.IDLE]
        assert rig.ctl.session is None and rig.ctl.stream is None and rig.ctl.studio.session is None
        assert rig.of(HealthChanged)[-1] == HealthChanged("idle", "Not live")
        probe = ffprobe(nginx.wait_recording_closed())
        assert stream_of(probe, "video")["width"] == W and stream_of(probe, "audio")
        actions = [e.get("name") for e in read_journal(rig.ctl.journal.path.read_text()) if e.get("kind") == "action"]
        assert "go_live" in actions and "add_output" in actions and "end_show" in actions
    finally:
        rig.close()
    assert "ctl-test-key" not in rig.ctl.journal.path.read_text()


def test_countdown_ticks_and_cancel_leaves_nothing_running(file_keyring, profile):
    profile.countdown_s = 3
    profile.destination.kind, profile.destination.url = "custom", "rtmp://127.0.0.1:1/live"
    rig = Rig(profile)
    try:
        rig.store.set_stream_key(rig.ctl.profile, "k")
        rig.ctl.countdown_step_ms = 100
        _ready(rig)
        rig.call(lambda c: c.go_live())
        assert rig.ctl.live_state == LiveState.COUNTDOWN
        rig.call(lambda c: c.go_live())  # a second press (the hotkey) during the countdown does nothing
        rig.wait(lambda: [e.seconds_left for e in rig.of(CountdownTick)][:2] == [3, 2], 5, "3, 2")
        rig.call(lambda c: c.cancel_go_live())
        assert rig.ctl.live_state == LiveState.IDLE and rig.ctl.stream is None
        time.sleep(0.5)  # the ticks that were already scheduled do nothing
        assert rig.ctl.live_state == LiveState.IDLE and rig.ctl.studio.session is None
        assert rig.of(CountdownTick)[-1].seconds_left == 0
        assert LiveState.STARTING not in rig.states()
    finally:
        rig.close()


def test_countdown_runs_out_into_starting(file_keyring, profile):
    profile.countdown_s = 2
    rig = Rig(_custom(profile, "rtmp://127.0.0.1:1/live"))
    try:
        rig.store.set_stream_key(rig.ctl.profile, "k")
        rig.ctl.countdown_step_ms = 50
        _ready(rig)
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: LiveState.STARTING in rig.states(), 5, "starting")
        assert [e.seconds_left for e in rig.of(CountdownTick)] == [2, 1, 0]
        # Nothing listens on port 1: the stream fails for good, and the show ends by itself.
        rig.wait(lambda: rig.states()[-1] == LiveState.IDLE, 20, "back to idle")
        assert any("Stream stopped" in e.text for e in rig.of(Notice))
    finally:
        rig.close()


def test_a_stream_that_fails_for_good_leaves_the_recording_running(file_keyring, profile, tmp_path):
    profile.record_dir = str(tmp_path / "rec")
    rig = Rig(_custom(profile, "rtmp://127.0.0.1:1/live"))  # nothing listens on port 1
    try:
        rig.store.set_stream_key(rig.ctl.profile, "k")
        _ready(rig)
        rig.call(lambda c: c.set_recording(True))
        rig.wait(lambda: any(e.is_on and e.path for e in rig.of(RecordingChanged)), 10, "recording live")
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: any("Stream stopped" in e.text for e in rig.of(Notice)), 20, "the stream's failure")
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 5, "idle")
        assert rig.ctl.stream is None and rig.ctl.recording is not None
        session = rig.ctl.studio.session
        assert session is not None
        rig.wait(lambda: [o.kind for o in session.outputs] == ["recording"], 5, "the failed stream removed")
        rig.call(lambda c: c.set_recording(False))
        rig.wait(lambda: any("Recording saved" in e.text for e in rig.of(StatusMessage)), 10, "recording saved")
        assert rig.ctl.studio.session is None and rig.of(HealthChanged)[-1].level == "idle"
    finally:
        rig.close()


def test_no_stream_key_is_one_notice_and_nothing_starts(file_keyring, profile):
    rig = Rig(_custom(profile, "rtmp://127.0.0.1:1/live"))
    try:
        _ready(rig)
        assert rig.call(lambda c: c.prepare_go_live()) is False
        assert rig.of(Notice)[-1].text == "No stream key: paste your stream key in Settings > Destination."
        assert rig.ctl.live_state == LiveState.IDLE and rig.ctl.stream is None
    finally:
        rig.close()


def test_stats_become_health_for_what_is_running(file_keyring, profile):
    rig = Rig(profile)
    try:
        _ready(rig)
        stats = {"fps": 30, "target_fps": 30, "outputs": [{"kind": "recording", "state": "live"}],
                 "health": {"level": "good", "reason": "Stream healthy", "fix": ""}}
        rig.call(lambda c: c.handle_core_event("stats", stats))
        assert not rig.of(HealthChanged)  # nothing running: the light stays "Not live"
        rig.call(lambda c: setattr(c, "recording", object()))  # as if recording
        rig.call(lambda c: c.handle_core_event("stats", stats))
        assert rig.of(HealthChanged)[-1] == HealthChanged("good", "Recording (not live)", "")
        update = rig.of(StatsUpdated)[-1]
        assert update.is_recording and not update.is_streaming and rig.ctl.last_stats is stats
    finally:
        rig.call(lambda c: setattr(c, "recording", None))
        rig.close()


def test_simulated_faults_reroute_the_stream_once_and_are_journaled(nginx, file_keyring, profile):
    rig = Rig(_custom(profile, nginx.url), simulate=parse_for_window("camera-lost@0.5s:3s,net-drop@1s:1s",
                                                                       has_sandbox=False))
    try:
        rig.store.set_stream_key(rig.ctl.profile, "fault-key")
        _ready(rig)
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        stream = rig.ctl.stream
        assert stream.port != nginx.port  # through the fault rig's relay
        rig.wait(lambda: "pattern-1" in rig.ctl.lost_sources, 5, "camera lost")
        rig.wait(lambda: "pattern-1" not in rig.ctl.lost_sources, 8, "camera back")
        time.sleep(1.5)
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
        faults = [e for e in read_journal(rig.ctl.journal.path.read_text()) if e.get("kind") == "fault"]
        assert {"camera-lost", "net-drop"} <= {e.get("name") for e in faults}, faults
    finally:
        rig.close()


def test_destination_objects():
    p = Profile(name="Shop")
    p.destination.kind, p.destination.preset = "preset", "Twitch"
    d = destination_for_profile(p)
    assert (d.url, d.protocol, d.key_ref, d.preset) == ("rtmp://live.twitch.tv/app", "rtmp", "stream-key:Shop:Twitch",
                                                        "Twitch")
    cli = destination_for_url("srt://127.0.0.1:9000", "custom", key="abc")
    assert cli.protocol == "srt" and cli.stream_key() == "abc" and "abc" not in repr(cli)
    with pytest.raises(Exception, match="No destination server"):
        Destination("nowhere", "").open_output()
    p.destination.kind = "sandbox"
    with pytest.raises(Exception, match="sandbox platform is not running"):
        destination_for_profile(p)


def test_no_qt_in_the_controller():
    code = ("import sys; import seller_studio.studio.controller, seller_studio.studio.dispatch; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout + result.stderr


def test_stream_arguments_become_the_window_profile_and_go_through_the_one_assembler(tmp_path):
    from seller_studio.cli.main import build_parser
    from seller_studio.cli.stream_cmd import prepare_stream, profile_from_args
    from seller_studio.studio.assembly import build_studio, scene_from_json

    image = tmp_path / "logo.png"
    image.write_bytes(b"")  # a name is enough for the kind; it is not opened here
    args = build_parser().parse_args(["stream", "--record", str(tmp_path / "x.mkv"), "--size", "320x180",
                                      "--camera", "test-pattern", "--camera2", str(image), "--mic", "silence"])
    profile = profile_from_args(args)
    assert [(s["id"], s["kind"]) for s in profile.sources] == [("camera", "test-pattern"), ("camera2", "image")]
    assert [s["name"] for s in profile.scenes] == ["single", "camera2", "pip", "side-by-side"]
    pip = scene_from_json(profile.scenes[2], 320, 180)
    assert pip.layers[0].rect is None and pip.layers[1].rect is not None and pip.layers[1].source_id == "camera2"

    args = build_parser().parse_args(["stream", "--record", str(tmp_path / "x.mkv"), "--size", "320x180",
                                      "--camera2", "test-pattern", "--mic", "tone"])
    studio, outputs, video, has_audio = prepare_stream(args, "")
    try:
        assert studio.compositor.active_scene == "pip" and set(studio.sources) == {"camera", "camera2"}
        assert has_audio and [o.kind for o in outputs] == ["recording"] and (video.width, video.fps) == (320, 30)
    finally:
        studio.stop()
    # The window's path on the same profile builds the same studio.
    result = build_studio(profile_from_args(args))
    try:
        assert list(result.studio.compositor.scenes) == ["single", "camera2", "pip", "side-by-side"]
    finally:
        result.studio.stop()
