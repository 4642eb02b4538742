"""Per-lot chapters and clips: a real recording (test pattern + tone through the encoder into MKV)
while a show controller shows items and takes sales; ffprobe reads the chapters; `seller-studio
clips` cuts a clip per sold lot without re-encoding and writes the shoppable timeline. A studio
killed mid-show leaves its lots in the sidecar, which `clips --merge-chapters` puts back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seller_studio.media.audio.synthetic import ToneSource
from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.studio import Studio
from seller_studio.platform import protocol as p
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.studio.chapters import attach_to_recording, follow_show, read_sidecar, sidecar_path

W, H, FPS = 320, 180, 30
ROOT = Path(__file__).resolve().parents[2]


def _studio() -> Studio:
    studio = Studio(W, H, FPS)
    studio.add_source(TestPatternSource("pattern", W, H, FPS))
    studio.add_audio(ToneSource("tone"))
    studio.add_scene(Scene("s", [Layer("pattern")]))
    studio.start()
    return studio


def _sale(seq: int, item_id: int, buyer: str, price: float) -> p.Sale:
    event = p.Sale(item_id=str(item_id), buyer=buyer, price=price, quantity_left=0)
    event.seq = seq
    return event


def _ffprobe_chapters(path: Path) -> list[dict]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["chapters"]


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                          "stream=nb_read_packets,r_frame_rate", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    stream = json.loads(out.stdout)["streams"][0]
    num, den = stream["r_frame_rate"].split("/")
    return int(stream["nb_read_packets"]) / (int(num) / int(den))


def _clips(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seller_studio.cli.main", "clips", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_a_show_gets_a_chapter_per_lot_and_a_clip_per_sale(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "inv.db")
    show = ShowController(store, "tonight")
    items = [show.add_item(Item(t, type="buy_it_now", price_cents=c, quantity=1))
             for t, c in (("Holo Charizard Card", 2500), ("Brass Desk Lamp", 900), ("Vintage Pyrex Bowl", 1500))]
    studio = _studio()
    path = tmp_path / "show.mkv"
    recording = RecordingOutput(path)
    chapters = attach_to_recording(recording)
    session = studio.go_live([recording], VideoSettings(W, H, FPS, 600), AudioSettings())
    marks: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 10
        while chapters.now_s() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        unsubscribe = follow_show(chapters, show)
        show.show_index(0)
        marks["a_start"] = chapters.now_s()
        time.sleep(2.6)
        show.on_platform_event(_sale(11, items[0].id, "ann", 25.0))
        time.sleep(0.8)
        show.show_index(1)  # shown, never sold
        marks["b_start"] = chapters.now_s()
        time.sleep(1.7)
        show.show_index(2)
        marks["c_start"] = chapters.now_s()
        time.sleep(1.9)
        show.on_platform_event(_sale(12, items[2].id, "Zoë", 15.0))
        time.sleep(1.2)
        marks["end"] = chapters.now_s()
        unsubscribe()
    finally:
        session.stop()
        studio.stop()
    probed = _ffprobe_chapters(path)
    print("\nffprobe -show_chapters:")
    for c in probed:
        print(f"  {float(c['start_time']):7.3f} - {float(c['end_time']):7.3f}  {c['tags']['title']}")
    titles = [c["tags"]["title"] for c in probed]
    assert titles == ["Holo Charizard Card - ann - $25.00", "Brass Desk Lamp - not sold",
                      "Vintage Pyrex Bowl - Zoë - $15.00"]
    starts = [float(c["start_time"]) for c in probed]
    for got, want in zip(starts, (marks["a_start"], marks["b_start"], marks["c_start"]), strict=True):
        assert abs(got - want) < 0.05
    assert abs(float(probed[0]["end_time"]) - marks["b_start"]) < 0.05
    assert float(probed[2]["end_time"]) >= marks["end"] - 0.05
    lots = read_sidecar(sidecar_path(path))
    assert [lot.is_sold for lot in lots] == [True, False, True]

    result = _clips(str(path), "--out", str(tmp_path / "clips"))
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    timeline = json.loads((tmp_path / "clips" / "show.timeline.json").read_text(encoding="utf-8"))
    entries = timeline["lots"]
    assert [(e["item_id"], e["buyer"], e["price"]) for e in entries] == [
        (str(items[0].id), "ann", 25.0), (str(items[2].id), "Zoë", 15.0)]
    for entry in entries:
        lot_s = entry["end_s"] - entry["start_s"]
        clip = tmp_path / "clips" / entry["clip"]
        clip_s = _duration(clip)
        early = entry["start_s"] - entry["clip_start_s"]
        print(f"  lot {entry['item_id']}: lot {lot_s:.2f} s, clip {clip_s:.2f} s (starts {early:.2f} s early)")
        assert 0 <= early <= 2.0 + 1 / FPS  # the keyframe before: one 2 s interval at most
        assert abs(clip_s - (lot_s + early)) <= 2 / FPS  # otherwise exactly the lot
        assert abs(entry["clip_duration_s"] - clip_s) <= 2 / FPS
    # A clip request for the unsold lot, or a lot not in the recording: one sentence each.
    unsold = _clips(str(path), "--item", str(items[1].id), "--out", str(tmp_path / "c2"))
    assert unsold.returncode == 34
    assert unsold.stderr.strip() == (f"seller-studio: error: Item {items[1].id} (Brass Desk Lamp) was not sold in this "
                                     "recording: no clip.")
    missing = _clips(str(path), "--item", "999", "--out", str(tmp_path / "c3"))
    assert missing.returncode == 34 and "has no lot in this recording" in missing.stderr


KILLED_SHOW = r"""
import os, sys, time, signal
from pathlib import Path
from seller_studio.media.audio.synthetic import ToneSource
from seller_studio.media.compositor import Layer, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.media.studio import Studio
from seller_studio.studio.chapters import attach_to_recording
studio = Studio(320, 180, 30)
studio.add_source(TestPatternSource("pattern", 320, 180, 30))
studio.add_audio(ToneSource("tone"))
studio.add_scene(Scene("s", [Layer("pattern")]))
studio.start()
rec = RecordingOutput(Path(sys.argv[1]))
log = attach_to_recording(rec)
studio.go_live([rec], VideoSettings(320, 180, 30, 600), AudioSettings())
while log.now_s() is None:
    time.sleep(0.02)
log.lot_started("7", "Signed Baseball")
time.sleep(2.0)
log.lot_sold("7", "ann", 4000, "sale-1")
time.sleep(0.5)
log.lot_started("8", "Sealed Hobby Box")
time.sleep(2.5)
log.lot_sold("8", "bo", 12000, "sale-2")
time.sleep(1.0)
print("killing", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_studio_leaves_its_lots_and_clips_recovers_them(tmp_path: Path) -> None:
    path = tmp_path / "killed.mkv"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", KILLED_SHOW, str(path)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert run.returncode == -signal.SIGKILL and "killing" in run.stdout, run.stderr
    assert _ffprobe_chapters(path) == []  # the trailer never came
    lots = read_sidecar(sidecar_path(path))
    assert [(lot.title, lot.buyers) for lot in lots] == [("Signed Baseball", "ann"), ("Sealed Hobby Box", "bo")]
    assert lots[0].end_s == pytest.approx(lots[1].start_s, abs=0.01) and lots[1].end_s is None  # open at the kill
    result = _clips(str(path), "--merge-chapters", "--out", str(tmp_path / "clips"))
    assert result.returncode == 0, result.stderr
    assert "wrote 2 chapters from killed.mkv.chapters.jsonl into killed.mkv" in result.stdout
    probed = _ffprobe_chapters(path)
    assert [c["tags"]["title"] for c in probed] == ["Signed Baseball - ann - $40.00",
                                                     "Sealed Hobby Box - bo - $120.00"]
    assert len(list((tmp_path / "clips").glob("*.mp4"))) == 2
    # The open lot ends where the recording ends: what the MKV holds of the time before the kill
    # (the muxer's last unflushed cluster, up to a few seconds, dies with the process).
    timeline = json.loads((tmp_path / "clips" / "killed.timeline.json").read_text())
    span_end = float(probed[-1]["end_time"]) - timeline["recording_start_s"]
    assert timeline["lots"][1]["start_s"] < timeline["lots"][1]["end_s"] == pytest.approx(span_end, abs=0.05)


def test_a_lot_outside_the_recording_is_skipped_with_a_sentence(tmp_path: Path) -> None:
    studio = _studio()
    path = tmp_path / "part.mkv"
    recording = RecordingOutput(path)
    chapters = attach_to_recording(recording)
    session = studio.go_live([recording], VideoSettings(W, H, FPS, 600), None, duration_s=3.0)
    session.wait(15)
    studio.stop()
    start = 0.0  # the recording starts at 0 (its first session frame)
    with open(sidecar_path(path), "a", encoding="utf-8") as fh:  # a lot shown before and one after it
        for line in ({"event": "start", "item_id": "1", "title": "Early", "at_s": None},
                     {"event": "sale", "item_id": "1", "buyer": "ann", "price_cents": 100, "at_s": None},
                     {"event": "start", "item_id": "2", "title": "Late", "at_s": start + 50.0},
                     {"event": "sale", "item_id": "2", "buyer": "bo", "price_cents": 200, "at_s": start + 51.0},
                     {"event": "end", "item_id": "2", "at_s": start + 55.0}):
            fh.write(json.dumps(line) + "\n")
    del chapters
    result = _clips(str(path), "--out", str(tmp_path / "clips"))
    assert result.returncode == 0, result.stderr
    assert "skipped Late (2): its lot (50.0-55.0 s) is outside the recording" in result.stdout
    assert "the recording started after this lot began" in result.stdout
    nothing = tmp_path / "nothing.mkv"
    nothing.write_bytes(path.read_bytes())
    result = _clips(str(nothing))
    assert result.returncode == 34 and "has no lots" in result.stderr


@pytest.fixture(autouse=True)
def _no_stray_pythonpath_loss(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_the_studio_controller_records_chapters_for_the_show(file_keyring, tmp_path: Path) -> None:
    from seller_studio.studio.events import StatusMessage
    from seller_studio.studio.settings import Profile
    from tests.studio.test_controller import Rig, _ready

    profile = Profile(name="Chapters")
    profile.video.width, profile.video.height, profile.video.fps, profile.video.bitrate_kbps = W, H, FPS, 600
    profile.audio.mic = "tone"
    profile.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"}]
    profile.scenes = [{"name": "Pattern", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]}]
    profile.record_dir = str(tmp_path / "rec")
    store = InventoryStore(tmp_path / "inv.db")
    show = ShowController(store, "tonight")
    item = show.add_item(Item("Graded Rookie Card", type="buy_it_now", price_cents=8000, quantity=1))
    rig = Rig(profile, journal=None)
    try:
        _ready(rig)
        rig.call(lambda c: setattr(c, "show_lots", show))
        rig.call(lambda c: c.set_recording(True))
        rig.wait(lambda: rig.ctl.recording is not None and rig.ctl.recording.first_video_pts_s is not None, 15,
                 "recording")
        time.sleep(0.5)
        show.show_index(0)
        time.sleep(1.0)
        show.on_platform_event(_sale(5, item.id, "cy", 80.0))
        time.sleep(1.0)
        path = rig.ctl.recording.path
        rig.call(lambda c: c.set_recording(False))
        rig.wait(lambda: any(isinstance(e, StatusMessage) and "Recording saved" in e.text for e in rig.events), 20,
                 "saved")
    finally:
        rig.close()
    probed = _ffprobe_chapters(path)
    assert [c["tags"]["title"] for c in probed] == ["Graded Rookie Card - cy - $80.00"]
    assert sidecar_path(path).is_file()
