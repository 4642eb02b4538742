"""`seller-studio reproduce`: the plan derived from synthetic journals, the comparison's rules, bad
bundles (one line and their own exit code each), and real reproductions: sessions recorded with a
known injected fault against nginx-rtmp are bundled, reproduced headless, and compared.

The derivation never reads the original's ``fault`` lines (a seller's journal has none): it sees
only what the studio did, so a match here means the studio's reactions were re-created.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from seller_studio.common import paths
from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.bundle import build_bundle
from seller_studio.diagnostics.faults import Fault, parse_simulate
from seller_studio.diagnostics.journal import read_journal
from seller_studio.diagnostics.repro_compare import compare, report_text, summarize, verdict_runs
from seller_studio.diagnostics.reproduce import (
    DamagedBundleError,
    NoJournalError,
    derive_plan,
    format_spec,
    load_session,
)

GO_LIVE_T = 2.0


# -- synthetic journals ----------------------------------------------------------------------------
class J:
    """A journal written line by line with times from Go Live."""

    def __init__(self, with_profile: bool = True) -> None:
        self.lines: list[dict[str, Any]] = [{"t": 0.0, "kind": "head", "name": "journal", "data": {"version": "0.1.0"}}]
        if with_profile:
            self.add(-0.01, "head", "profile", canvas={"width": 1920, "height": 1080, "fps": 30},
                     encoder={"name": "x264", "bitrate_kbps": 4500, "preset": "veryfast", "keyframe_interval_s": 2},
                     sources=[{"id": "cam-1", "kind": "camera", "delivered": {"width": 1280, "height": 720, "fps": 25}},
                              {"id": "cam-2", "kind": "camera", "delivered": {"width": 640, "height": 480, "fps": 15}},
                              {"id": "text-1", "kind": "text"}],
                     scenes=[{"name": "Main", "layers": [{"source_id": "cam-1", "rect": None},
                                                         {"source_id": "text-1", "rect": [0, 0, 100, 40]}]},
                             {"name": "Product", "layers": [{"source_id": "cam-2", "rect": None}]}],
                     active_scene="Product", audio={"kind": "microphone", "sample_rate": 44100, "channels": 1})
        self.add(0.0, "action", "go_live", encoder="libx264", width=1920, height=1080, fps=30, bitrate_kbps=4500)

    def add(self, t_s: float, kind: str, name: str, /, **data: Any) -> J:
        self.lines.append({"t": round(GO_LIVE_T + t_s, 3), "kind": kind, "name": name, "data": data})
        return self

    def stream(self, t_s: float, state: str, **data: Any) -> J:
        return self.add(t_s, "media", "output_state", output="stream", kind="stream", state=state, **data)

    def ticks(self, start_s: float, end_s: float, level: str = "good", reason: str = "Stream healthy",
              state: str = "live", sent: float = 4600, buffer_ms: float = 0, net: int = 0, disc: int = 0,
              encoder_kbps: int = 4500) -> J:
        t = start_s
        while t <= end_s:
            frames = int(30 * t)
            self.add(t, "stats", "stats", frames_encoded=frames, dropped={"render_lag": 0, "encode_lag": 0,
                                                                          "network": net},
                     health={"level": level, "reason": reason, "fix": ""},
                     outputs=[{"kind": "stream", "state": state, "bitrate_sent_kbps": sent,
                               "send_buffer_ms": buffer_ms, "dropped_network": net, "dropped_disconnect": disc,
                               "encoder_bitrate_kbps": encoder_kbps, "reconnects": 0}])
            t += 1.0
        return self


def test_plan_keeps_the_sellers_canvas_encoder_and_delivered_modes():
    plan = derive_plan(J().ticks(1, 10).lines)
    assert (plan.width, plan.height, plan.fps, plan.bitrate_kbps, plan.encoder) == (1920, 1080, 30, 4500, "x264")
    assert [(s.source_id, s.width, s.height, s.fps) for s in plan.sources] == [
        ("cam-1", 1280, 720, 25.0), ("cam-2", 640, 480, 15.0)]
    assert plan.audio is not None and (plan.audio.sample_rate, plan.audio.channels) == (44100, 1)
    assert [sc["name"] for sc in plan.scenes] == ["Main", "Product"] and plan.active_scene == "Product"
    assert [layer["source_id"] for layer in plan.scenes[0]["layers"]] == ["cam-1"]  # the title is not a device
    assert plan.faults == [] and plan.spec() == "" and plan.missing == []
    assert plan.duration_s == pytest.approx(10, abs=0.1)


def test_net_drop_ends_between_the_failed_and_the_successful_attempt():
    j = J().ticks(1, 4).stream(5.02, "reconnecting", attempt=1).stream(5.5, "connecting", attempt=1)
    j.stream(5.51, "reconnecting", attempt=2).stream(8.8, "connecting", attempt=2)
    j.stream(8.81, "reconnecting", attempt=3).stream(13.5, "connecting", attempt=3).stream(13.7, "live", reconnects=1)
    j.ticks(14, 20)
    plan = derive_plan(j.lines)
    assert plan.faults == [Fault("net-drop", 5.0, pytest.approx(6.1, abs=0.05))]
    assert plan.spec() == "net-drop@5s:6.1s"


def test_slow_uplink_follows_what_the_link_carried_while_full():
    j = J().ticks(1, 5)
    j.add(5.6, "media", "bitrate_changed", output="stream", bitrate_kbps=1200, audio_kbps=160, link_kbps=1190,
          reason="send buffer 240 ms, uplink ~1190 kbps")
    j.ticks(6, 12, "bad", "Upload too slow: 20% of frames dropped", sent=1400, buffer_ms=650, net=40,
            encoder_kbps=1200)
    j.ticks(13, 25, "warning", "Your upload carries about 1190 kbps", sent=1300, encoder_kbps=1200, net=40)
    # A raise that still fits under the link, then one past it that held: the cap ended before that one.
    j.add(16.0, "media", "bitrate_changed", output="stream", bitrate_kbps=1300, audio_kbps=160, reason="buffer drained")
    j.add(20.0, "media", "bitrate_changed", output="stream", bitrate_kbps=2000, audio_kbps=160, reason="buffer drained")
    j.lines.sort(key=lambda e: e["t"])
    (fault,) = derive_plan(j.lines).faults
    # 1400 kbps carried while full, read 8 % low -> 1520; the buffer's 240 ms grew at 1 - 1522/4600 per s.
    assert fault.kind == "slow-uplink" and fault.rate_kbps == 1520
    assert fault.at_s == pytest.approx(5.2, abs=0.05) and fault.ends_at_s == pytest.approx(19.5, abs=0.1)


def test_a_link_never_shown_to_have_room_again_stays_capped_to_the_end():
    j = J().ticks(1, 5)
    j.add(5.8, "media", "bitrate_changed", output="stream", bitrate_kbps=900, audio_kbps=64, link_kbps=1100,
          reason="send buffer 600 ms, uplink ~1100 kbps")
    j.ticks(6, 8, "bad", "Upload too slow: 12% of frames dropped", sent=1000, buffer_ms=300, net=30, encoder_kbps=900)
    j.ticks(9, 30, "warning", "Your upload carries about 1100 kbps", sent=960, encoder_kbps=900, net=30)
    j.add(14.0, "media", "bitrate_changed", output="stream", bitrate_kbps=1000, audio_kbps=64, reason="buffer drained")
    # A raise past the link that did not hold (undone 2 s later, 14 s after the last congestion).
    j.add(20.0, "media", "bitrate_changed", output="stream", bitrate_kbps=1300, audio_kbps=64, reason="buffer drained")
    j.add(22.0, "media", "bitrate_changed", output="stream", bitrate_kbps=1000, audio_kbps=64, link_kbps=1050,
          reason="send buffer 233 ms after a raise: undone")
    j.lines.sort(key=lambda e: e["t"])
    (fault,) = derive_plan(j.lines).faults
    assert fault.duration_s is None and fault.rate_kbps == 1200  # 1100 read while full, 8 % low
    assert derive_plan(j.lines).spec() == "slow-uplink@5s:1200kbps"  # 600 ms filled at 1 - 1196/4600 per s


def test_camera_mic_and_platform_losses():
    j = J().ticks(1, 30)
    j.add(-1, "platform_state", "connected", on_attach=True)
    j.add(8.0, "media", "source_state", source_id="cam-1", state="lost", reason="camera stopped")
    j.add(8.5, "media", "source_state", source_id="cam-2", state="lost", reason="camera stopped")
    j.add(15.0, "media", "source_state", source_id="cam-1", state="live")
    j.add(15.1, "media", "source_state", source_id="cam-2", state="live")
    j.add(20.0, "media", "mic_state", source_id="mic", is_lost=True)
    j.add(24.0, "media", "mic_state", source_id="mic", is_lost=False)
    j.add(26.0, "platform_state", "reconnecting", attempt=1)
    j.add(28.0, "platform_state", "connected")
    for t in (27.5, 29.0):
        j.add(t, "platform_ack", "item.show", ok=True, latency_ms=1500.0)
    j.lines.sort(key=lambda e: e["t"])
    plan = derive_plan(j.lines)
    assert plan.has_platform
    kinds = {f.kind: f for f in plan.faults}
    assert kinds["camera-lost"] == Fault("camera-lost", 7.0, 8.1)  # one fault: it withholds every camera
    assert kinds["mic-lost"] == Fault("mic-lost", 20.0, 4.0)
    assert kinds["disconnect"] == Fault("disconnect", 26.0)
    assert kinds["delayed-acks"].delay_ms == 1500 and kinds["delayed-acks"].at_s < 26.0
    # The printed spec parses back to the same schedule: a person can edit and rerun it.
    assert parse_simulate(plan.spec()) == sorted(plan.faults, key=lambda f: f.at_s)


def test_speed_compresses_the_schedule():
    j = J().ticks(1, 4).stream(10, "reconnecting", attempt=1).stream(12, "connecting").stream(12.2, "live")
    j.ticks(13, 40)
    plan = derive_plan(j.lines, speed=2.0)
    assert plan.faults[0].at_s == pytest.approx(5.0) and plan.duration_s == pytest.approx(20, abs=0.1)


def test_an_old_journal_without_profile_says_what_is_missing():
    j = J(with_profile=False).ticks(1, 5)
    j.lines = [e for e in j.lines if e["name"] != "go_live"]
    plan = derive_plan(j.lines)
    assert plan.missing == ["go_live settings", "profile (scenes, sources, delivered modes)"]
    assert (plan.width, plan.height) == (1280, 720) and len(plan.sources) == 1


def test_format_spec_round_trips():
    faults = [Fault("net-drop", 5.0, 6.1), Fault("slow-uplink", 30.0, 10.0, rate_kbps=800.0),
              Fault("camera-lost", 40.5, 3.0), Fault("mic-lost", 50.0), Fault("disconnect", 60.0),
              Fault("delayed-acks", 70.0, 5.0, delay_ms=1500.0)]
    assert parse_simulate(format_spec(faults)) == faults


# -- the comparison --------------------------------------------------------------------------------
def _net_drop_journal(shift_s: float = 0.0, reconnects: int = 1) -> list[dict[str, Any]]:
    j = J().ticks(1, 5)
    for n in range(reconnects):
        base = 5 + shift_s + 12 * n
        j.stream(base + 0.1, "reconnecting", attempt=1).ticks(base + 1, base + 6, "bad",
                                                                "Connection lost: reconnecting", "reconnecting",
                                                                sent=0, disc=150 * (n + 1))
        j.stream(base + 6.5, "live", reconnects=n + 1).ticks(base + 7, base + 11, disc=150 * (n + 1))
    return j.lines


def test_verdicts_fold_flicker_and_keep_order():
    ticks = [(1, "healthy", "good"), (2, "healthy", "good"), (3, "upload too slow", "warning"),
             (4, "healthy", "good"), (5, "healthy", "good"), (6, "connection lost", "bad"),
             (7, "connection lost", "bad"), (8, "connection lost", "bad")]
    assert [(v.group, v.start_s) for v in verdict_runs(ticks)] == [("healthy", 1), ("connection lost", 6)]


def test_comparison_agrees_within_two_seconds_and_not_beyond():
    same = compare(_net_drop_journal(), _net_drop_journal(shift_s=1.5))
    assert same.is_match, same.disagreements
    assert same.figures()["verdicts_original"] == ["healthy", "connection lost", "healthy"]
    late = compare(_net_drop_journal(), _net_drop_journal(shift_s=3.0))
    assert not late.is_match and "starts +3.0 s off" in late.disagreements[0]
    more = compare(_net_drop_journal(), _net_drop_journal(reconnects=2))
    assert not more.reconnects_match
    text = report_text(more, "case")
    assert "DIFFERENT" in text and "reconnects: 1 originally, 2 reproduced" in text


def test_a_verdict_after_the_other_session_ended_is_not_compared():
    original = [e for e in _net_drop_journal() if e["t"] <= GO_LIVE_T + 12.2]  # ended just as it came back
    comparison = compare(original, _net_drop_journal())
    assert [v.group for v in comparison.original.verdicts] == ["healthy", "connection lost"]
    assert comparison.verdicts_match, comparison.disagreements  # the later "healthy" is past the original
    assert [v.group for v in comparison.reproduced.verdicts][-1] == "healthy"


def test_summary_counts_drops_by_cause():
    s = summarize(_net_drop_journal())
    assert s.dropped == {"render_lag": 0, "encode_lag": 0, "network": 0, "disconnect": 150}
    assert len(s.reconnects) == 1 and s.reconnects[0].duration_s == pytest.approx(6.4)
    assert s.dropped_pct == pytest.approx(100 * 150 / s.frames_encoded)


# -- bad bundles -----------------------------------------------------------------------------------
def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seller_studio", "reproduce", *args], capture_output=True,
                          text=True, timeout=timeout, env=env or dict(os.environ))


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def test_damaged_zip_is_one_line_and_its_own_code(tmp_path):
    good = _zip(tmp_path / "b.zip", {"logs/journal-1.jsonl": "\n".join(json.dumps(e) for e in _net_drop_journal())})
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(DamagedBundleError):
        load_session(damaged)
    result = _cli(str(damaged), "--headless")
    assert result.returncode == ExitCode.DAMAGED_BUNDLE == 27
    assert result.stderr.count("\n") == 1 and "damaged" in result.stderr and "Traceback" not in result.stderr


def test_bundle_without_a_journal_is_one_line_and_its_own_code(tmp_path):
    bundle = _zip(tmp_path / "nojournal.zip", {"manifest.json": "{}", "system.json": "{}"})
    with pytest.raises(NoJournalError):
        load_session(bundle)
    result = _cli(str(bundle), "--headless")
    assert result.returncode == ExitCode.NO_JOURNAL == 28
    assert result.stderr.count("\n") == 1 and "no journal" in result.stderr


def test_older_bundle_says_what_is_missing_and_reproduces_what_it_can(tmp_path):
    lines = [e for e in _net_drop_journal() if e["name"] != "profile"]
    bundle = _zip(tmp_path / "old.zip", {"logs/journal-1.jsonl": "\n".join(json.dumps(e) for e in lines),
                                         "manifest.json": json.dumps({"version": "0.0.9"})})
    result = _cli(str(bundle), "--print-only")
    assert result.returncode == ExitCode.REPRODUCED_PARTLY == 29
    assert "lacks reproduction.json" in result.stderr and "profile (scenes" in result.stderr
    assert "--simulate net-drop@5.1s:" in result.stdout  # what it had is still derived


def test_bundle_carries_what_reproduction_needs(tmp_path):
    log_dir = paths.ensure(paths.log_dir())
    (log_dir / "journal-x.jsonl").write_text("\n".join(json.dumps(e) for e in J().ticks(1, 3).lines) + "\n")
    result = build_bundle(tmp_path / "bundle.zip", doctor=False)
    with zipfile.ZipFile(result.path) as zf:
        manifest = json.loads(zf.read("reproduction.json"))
    (session,) = manifest["sessions"]
    assert session["journal"] == "logs/journal-x.jsonl"
    assert [s["id"] for s in session["profile"]["sources"]] == ["cam-1", "cam-2", "text-1"]
    assert [p["t_s"] for p in session["stats_timeline"]] == [1.0, 2.0, 3.0]
    assert "cameras" in manifest["devices"] and manifest["format"] == 1
    loaded = load_session(result.path)
    assert loaded.has_reproduction_manifest and loaded.missing == []


# -- real reproductions ----------------------------------------------------------------------------
CASES = {
    # name: (--simulate of the recorded original, seconds live)
    "net-drop": ("net-drop@6s:5s", 22),
    # Capped to the end: how fast the studio climbs back after a cap lifts varies by a raise step (4 s)
    # between two recordings of the very same fault (24 s or 28 s, see benchmarks/reproduce_fidelity.py).
    "slow-uplink": ("slow-uplink@6s:400kbps", 28),
    "camera-lost": ("camera-lost@6s:6s", 20),
    "mic-lost": ("mic-lost@5s:5s", 16),
    "platform-disconnect": ("disconnect@6s", 16),
    # The seller's commands (a ping every second) are sent again by the reproduction, so the late
    # answers happen there too.
    "delayed-acks": ("delayed-acks@6s:1500ms:6s", 18),
}


def record_original(case: str, nginx_url: str, journal: Path) -> None:
    """The seller's night: the stream command (stream faults), or a platform session (platform faults)."""
    spec, seconds = CASES[case]
    if case in ("platform-disconnect", "delayed-acks"):
        from seller_studio.cli.reproduce_cmd import run_plan
        from seller_studio.diagnostics.reproduce import PlatformCommand

        plan = derive_plan(J(with_profile=False).ticks(1, seconds).lines)
        plan.width, plan.height, plan.bitrate_kbps = 320, 180, 800
        plan.has_platform, plan.faults = True, parse_simulate(spec)
        if case == "delayed-acks":
            plan.platform_commands = [PlatformCommand(n + 0.5, "ping", {}) for n in range(seconds - 2)]
        run_plan(plan, journal, ingest=nginx_url)
        return
    result = subprocess.run([sys.executable, "-m", "seller_studio", "stream", "--url", nginx_url + "/orig", "--no-key",
                             "--size", "320x180", "--bitrate", "800", "--duration", str(seconds),
                             "--simulate", spec, "--journal", str(journal)],
                            capture_output=True, text=True, timeout=seconds + 60)
    assert result.returncode == 0, result.stderr[-2000:]


def reproduce_case(case: str, nginx_url: str, tmp_path: Path) -> dict[str, Any]:
    original = paths.ensure(paths.log_dir()) / f"journal-{case}.jsonl"
    record_original(case, nginx_url, original)
    bundle = build_bundle(tmp_path / f"{case}.zip", doctor=False).path
    out = tmp_path / f"{case}-reproduced.jsonl"
    result = _cli(str(bundle), "--headless", "--journal-out", str(out), "--ingest", nginx_url,
                  timeout=CASES[case][1] + 90)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--simulate " in result.stdout
    original_entries = read_journal(original.read_text())
    comparison = compare(original_entries, read_journal(out.read_text()))
    figures = comparison.figures()
    derived = result.stdout.split("--simulate ", 1)[1].splitlines()[0]
    print(f"\n[{case}] injected {CASES[case][0]}; derived {derived}; {json.dumps(figures)}")
    print(report_text(comparison, case))
    assert comparison.verdicts_match, comparison.disagreements
    assert comparison.reconnects_match, comparison.disagreements
    assert abs(comparison.dropped_pct_diff) <= 5.0, comparison.disagreements
    return figures


@pytest.mark.rtmp
def test_short_net_drop_is_reproduced(nginx, tmp_path):
    """The default run's one real case: 18 s with a 4 s network drop, recorded, bundled, reproduced."""
    CASES["short-net-drop"] = ("net-drop@3s:4s", 18)
    try:
        figures = reproduce_case("short-net-drop", nginx.url, tmp_path)
    finally:
        del CASES["short-net-drop"]
    assert figures["reconnects"] == [1, 1]


@pytest.mark.slow
@pytest.mark.rtmp
@pytest.mark.parametrize("case", list(CASES))
def test_recorded_fault_is_reproduced(case, nginx, tmp_path):
    reproduce_case(case, nginx.url, tmp_path)


def test_losses_the_health_row_does_not_judge_are_compared_too():
    def with_mic_loss(at_s: float) -> list[dict[str, Any]]:
        j = J().ticks(1, 30)
        j.add(at_s, "media", "mic_state", source_id="mic", is_lost=True)
        j.add(at_s + 4, "media", "mic_state", source_id="mic", is_lost=False)
        j.lines.sort(key=lambda e: e["t"])
        return j.lines

    assert compare(with_mic_loss(20.0), with_mic_loss(21.5)).is_match
    late = compare(with_mic_loss(20.0), with_mic_loss(23.0))
    assert late.verdicts_match and not late.is_match
    assert late.disagreements == ["microphone lost: at 20.0 s originally, 23.0 s reproduced"]


def test_the_plan_builds_stand_ins_at_the_delivered_modes():
    """Through the one assembler: a test pattern per seller camera at its delivered size and fps,
    the seller's scenes and canvas, a tone for the mic; and describe_setup reads the same back."""
    from seller_studio.cli.reproduce_cmd import plan_profile
    from seller_studio.diagnostics.reproduce import describe_setup
    from seller_studio.media.encoders.base import VideoSettings
    from seller_studio.studio import assembly

    plan = derive_plan(J().ticks(1, 5).lines)
    studio = assembly.build_studio(plan_profile(plan), is_strict=True).studio
    try:
        assert (studio.compositor.width, studio.compositor.height) == (1920, 1080)
        described = {s["id"]: s for s in describe_setup(studio, VideoSettings(1920, 1080, 30, 4500))["sources"]}
        assert {k: (v["kind"], v["delivered"]) for k, v in described.items()} == {
            "cam-1": ("test-pattern", {"width": 1280, "height": 720, "fps": 25.0}),
            "cam-2": ("test-pattern", {"width": 640, "height": 480, "fps": 15.0})}
        assert list(studio.compositor.scenes) == ["Main", "Product"]
        assert "mic" in studio.mixer.channels
        from seller_studio.studio.destination import Destination

        where = Destination("My channel", "rtmps://ingest.example/live", key_ref="stream-key:x", key="sekrit-key-123")
        setup = describe_setup(studio, VideoSettings(1920, 1080, 30, 4500), where)
        assert setup["destination"] == {"label": "My channel", "url": "rtmps://ingest.example/live",
                                        "protocol": "rtmps", "preset": "", "has_platform": False}
        assert "sekrit" not in json.dumps(setup) and "stream-key" not in json.dumps(setup)
    finally:
        studio.stop()


def test_a_sped_up_reproduction_is_compared_on_the_compressed_clock():
    original = _net_drop_journal()
    halved = [dict(e, t=GO_LIVE_T + (e["t"] - GO_LIVE_T) / 2) for e in original]
    assert not compare(original, halved).is_match
    sped = compare(original, halved, speed=2.0)
    assert sped.is_match, sped.disagreements
    assert "run at --speed 2" in report_text(sped)


@pytest.mark.rtmp
def test_a_window_journal_reproduces_the_windows_collection(nginx, file_keyring):
    """The studio window's controller journals its collection at Go Live: the plan rebuilds that
    collection (a title is the profile's own text, not a device) and finds the camera loss."""
    import time

    from seller_studio.diagnostics.studio_faults import parse_for_window
    from seller_studio.studio.events import LiveState
    from seller_studio.studio.settings import Profile
    from tests.studio.test_controller import Rig, _ready

    profile = Profile(name="Window")
    profile.video.width, profile.video.height, profile.video.fps, profile.video.bitrate_kbps = 320, 180, 30, 600
    profile.audio.mic, profile.countdown_s = "tone", 0
    profile.destination.kind, profile.destination.url = "custom", nginx.url
    profile.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"},
                       {"id": "text-1", "kind": "text", "spec": "Welcome", "label": "Title"}]
    profile.scenes = [{"name": "Main", "canvas": [320, 180], "layers": [
                          {"source_id": "pattern-1", "rect": None}, {"source_id": "text-1", "rect": [10, 10, 100, 30]}]},
                      {"name": "Pattern only", "canvas": [320, 180], "layers": [{"source_id": "pattern-1", "rect": None}]}]
    rig = Rig(profile, simulate=parse_for_window("camera-lost@2s:3s", has_sandbox=False))
    try:
        rig.store.set_stream_key(rig.ctl.profile, "window-key-4711")
        _ready(rig)
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        time.sleep(8)
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
    finally:
        rig.close()
    text = rig.ctl.journal.path.read_text()
    assert "window-key-4711" not in text
    plan = derive_plan(read_journal(text))
    assert plan.missing == [] and (plan.width, plan.height, plan.fps, plan.bitrate_kbps) == (320, 180, 30, 600)
    assert [(s.source_id, s.original_kind, s.width, s.height) for s in plan.sources] == [
        ("pattern-1", "test-pattern", 320, 180)]
    assert [sc["name"] for sc in plan.scenes] == ["Main", "Pattern only"]
    assert plan.destination is not None and plan.destination["url"] == nginx.url
    (fault,) = plan.faults
    assert fault.kind == "camera-lost" and abs(fault.at_s - 2.0) <= 0.5 and abs(fault.duration_s - 3.0) <= 0.5


# -- the vertical canvas ---------------------------------------------------------------------------
def _with_vertical(j: J, **vertical: Any) -> J:
    head = next(e for e in j.lines if e["name"] == "profile")
    head["data"]["vertical_canvas"] = {
        "width": 720, "height": 1280, "fps": 30, "active_scene": "Product",
        "scenes": [{"name": "Main", "canvas": [720, 1280],
                    "layers": [{"source_id": "cam-1", "rect": [0, 0, 720, 640]},
                               {"source_id": "text-1", "rect": [0, 0, 200, 60]},
                               {"source_id": "cam-2", "rect": [0, 640, 720, 640]}]}],
        **vertical}
    return j


def test_the_sellers_vertical_canvas_is_in_the_plan():
    """Live with its own encode: its size, bitrate and scenes (the title is not a device: left out)."""
    plan = derive_plan(_with_vertical(J(), live=True, bitrate_kbps=1800).ticks(1, 5).lines)
    assert plan.vertical is not None
    v = plan.vertical
    assert (v.width, v.height, v.bitrate_kbps, v.is_live) == (720, 1280, 1800, True)
    assert [layer["source_id"] for layer in v.scenes[0]["layers"]] == ["cam-1", "cam-2"]
    assert "vertical canvas 720x1280@30, x264 1800 kbps, live" in plan.describe()

    # Composed for the preview only: rebuilt, not streamed.
    idle = derive_plan(_with_vertical(J(), live=False).ticks(1, 5).lines).vertical
    assert idle is not None and not idle.is_live
    assert derive_plan(J().ticks(1, 5).lines).vertical is None  # no second canvas, none rebuilt


def test_a_journal_from_before_live_was_recorded_reads_the_vertical_canvas_from_its_stats():
    j = _with_vertical(J()).ticks(1, 5)
    for t in (1.0, 2.0, 3.0):
        j.add(t + 0.1, "canvas_stats", "stats", canvas="vertical",
              outputs=[{"kind": "stream", "state": "live", "encoder_bitrate_kbps": 1200 + int(t) * 100}])
    plan = derive_plan(j.lines)
    assert plan.vertical is not None and plan.vertical.is_live and plan.vertical.bitrate_kbps == 1500
    assert any("vertical canvas: its bitrate was not recorded; 1500 kbps" in n for n in plan.notes)
    # No stats of it either: composed, not live.
    never = derive_plan(_with_vertical(J()).ticks(1, 5).lines).vertical
    assert never is not None and not never.is_live


def test_the_plan_rebuilds_the_vertical_canvas_with_the_sellers_scenes():
    from seller_studio.cli.reproduce_cmd import plan_profile
    from seller_studio.diagnostics.reproduce import describe_setup
    from seller_studio.media.encoders.base import VideoSettings
    from seller_studio.studio import assembly

    plan = derive_plan(_with_vertical(J(), live=True, bitrate_kbps=1800).ticks(1, 5).lines)
    studio = assembly.build_studio(plan_profile(plan), is_strict=True).studio
    try:
        assert studio.vertical is not None and (studio.vertical.width, studio.vertical.height) == (720, 1280)
        # "Main" as the seller edited it; "Product" derived from the landscape scene, as the window does.
        main = studio.vertical.scenes["Main"]
        assert [(layer.source_id, layer.rect.h) for layer in sorted(main.layers, key=lambda la: la.z)] == [
            ("cam-1", 640), ("cam-2", 640)]
        assert set(studio.vertical.scenes) == {"Main", "Product"}
        setup = describe_setup(studio, VideoSettings(1920, 1080, 30, 4500),
                               vertical_video=VideoSettings(720, 1280, 30, 1800))
        assert setup["vertical_canvas"]["live"] is True and setup["vertical_canvas"]["bitrate_kbps"] == 1800
        assert describe_setup(studio, VideoSettings(1920, 1080, 30, 4500))["vertical_canvas"]["live"] is False
    finally:
        studio.stop()


@pytest.mark.rtmp
def test_a_live_vertical_canvas_is_reproduced_live_with_its_own_encode(nginx, tmp_path):
    from seller_studio.cli.reproduce_cmd import run_plan
    from tests.helpers import ffprobe, stream_of

    j = _with_vertical(J(), live=True, bitrate_kbps=400).ticks(1, 4)
    head = next(e for e in j.lines if e["name"] == "profile")["data"]
    head["canvas"] = {"width": 320, "height": 180, "fps": 30}
    head["encoder"]["bitrate_kbps"] = 600
    head["vertical_canvas"].update(width=180, height=320)
    for scene in head["vertical_canvas"]["scenes"]:
        scene["canvas"] = [180, 320]
        scene["layers"] = [{"source_id": "cam-1", "rect": None}]
    for source in head["sources"]:
        if "delivered" in source:
            source["delivered"] = {"width": 320, "height": 180, "fps": 30}
    plan = derive_plan(j.lines)
    assert plan.vertical is not None and plan.vertical.is_live
    journal = tmp_path / "reproduced.jsonl"
    run_plan(plan, journal, ingest=nginx.url)
    entries = read_journal(journal.read_text())
    vertical_ticks = [e["data"] for e in entries if e.get("kind") == "canvas_stats"]
    assert vertical_ticks and max(t.get("frames_encoded", 0) for t in vertical_ticks) > 30
    described = next(e["data"] for e in entries if e.get("name") == "profile")["vertical_canvas"]
    assert (described["width"], described["height"], described["live"], described["bitrate_kbps"]) == (180, 320, True, 400)
    # What arrived at the ingest under the vertical key: the 9:16 picture, with sound.
    nginx.wait_recording_closed()
    recorded = [p for p in nginx.recordings() if p.name.startswith("reproduce-vertical")]
    assert recorded, [p.name for p in nginx.recordings()]
    probe = ffprobe(recorded[-1])
    assert (stream_of(probe, "video")["width"], stream_of(probe, "video")["height"]) == (180, 320)
    assert stream_of(probe, "audio")["codec_name"] == "aac"


def test_a_damaged_vertical_canvas_entry_rebuilds_the_landscape_canvas_only():
    """Hand-edited or damaged bundles lose nothing: a note, and the rest of the plan as before."""
    j = _with_vertical(J(), live=True, bitrate_kbps=True).ticks(1, 5)
    head = next(e for e in j.lines if e["name"] == "profile")["data"]
    head["vertical_canvas"]["scenes"] = [{"name": "Main", "layers": ["not a layer", {"source_id": "cam-1"}]}, "x"]
    j.add(1.5, "canvas_stats", "stats", outputs=[{"encoder_bitrate_kbps": "lots"}, "x"])
    plan = derive_plan(j.lines)
    assert plan.vertical is not None and plan.vertical.bitrate_kbps == 2500  # the default: nothing readable
    assert [layer["source_id"] for layer in plan.vertical.scenes[0]["layers"]] == ["cam-1"]
    head["vertical_canvas"]["width"] = "wide"
    plan = derive_plan(j.lines)
    assert plan.vertical is None and plan.width == 1920
    assert any("vertical canvas: its size is not readable" in n for n in plan.notes)
