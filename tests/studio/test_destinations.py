"""A show's destinations without a network: ``--dest`` parsing, the presets' validator, fault specs
naming a destination, the output-kind registry."""

from __future__ import annotations

import pytest

from seller_studio.common.errors import BadUrlError, ExitCode, UserError
from seller_studio.diagnostics.faults import FaultSpecError, parse_simulate
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs import registry
from seller_studio.media.outputs.stream import StreamOutput, output_protocols
from seller_studio.studio.destination import Destination, destinations_from_specs, parse_dest
from seller_studio.studio.presets import PRESETS, preset_for, validate


def test_dest_spec_with_options():
    spec = parse_dest("tiktok=rtmp://push.example/live,canvas=vertical,preset=TikTok")
    assert (spec.name, spec.url, spec.canvas, spec.preset) == ("tiktok", "rtmp://push.example/live", "vertical", "tiktok")
    plain = parse_dest("yt=rtmps://a.rtmps.youtube.com:443/live2")
    assert (plain.canvas, plain.preset, plain.protocol) == ("landscape", "custom", "")


@pytest.mark.parametrize(("text", "words"), [
    ("noequals", "NAME=URL"),
    ("bad name=rtmp://x/live", "the name 'bad name'"),
    ("a=rtmp://x/live,canvas=sideways", "canvas must be landscape or vertical"),
    ("a=rtmp://x/live,preset=myspace", "unknown preset 'myspace'"),
    ("a=rtmp://x/live,colour=red", "'colour=red' is not one of"),
    ("a=ftp://x/live", "destination 'a': bad ingest URL"),
])
def test_bad_dest_spec_is_one_line(text, words):
    with pytest.raises(UserError) as info:
        parse_dest(text)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_name_given_twice_is_refused():
    specs = [parse_dest("a=rtmp://x/live"), parse_dest("a=rtmp://y/live")]
    with pytest.raises(UserError, match="--dest a: the name is given twice"):
        destinations_from_specs(specs, {})


def test_https_is_whip_and_the_protocol_comes_from_the_url():
    assert Destination("x", "https://whip.example/endpoint").protocol == "whip"
    assert Destination("x", "rtmps://h:443/app").protocol == "rtmps"
    assert Destination("x", "rtmp://h/app", protocol="rtmps").protocol == "rtmps"


def d(name, url, preset="custom", key="k1", canvas="landscape"):
    return Destination(name, url, None, preset=preset, key=key, name=name, canvas=canvas)


def test_validator_changes_and_refuses_in_plain_words():
    video = {"landscape": VideoSettings(1920, 1080, 30, 9000, keyframe_interval_s=5.0)}
    report = validate([d("fb", "rtmp://live-api-s.facebook.com:80/rtmp", "facebook"),
                       d("fbwhip", "https://whip.example/x", "facebook"),
                       d("yt", "rtmp://a.rtmp.youtube.com/live2", "youtube", key="k2")],
                      video, AudioSettings(bitrate_kbps=192))
    fb = report.check("fb")
    assert not fb.is_refused
    assert fb.url == "rtmps://live-api-s.facebook.com:443/rtmp"
    assert any("instead of plain RTMP" in c for c in fb.changes)
    assert any("keyframes every 2 s instead of 5 s" in c for c in fb.changes)
    assert any("video 6000 kbps instead of 9000" in c for c in fb.changes)
    assert any("8 hours" in w for w in fb.warnings)
    assert report.check("fbwhip").refusals == ("Facebook Live takes RTMPS only, not WHIP: use its rtmps:// server URL",)
    yt = report.check("yt")
    assert any("audio 160 kbps instead of 192" in c for c in yt.changes)
    assert any("plain RTMP is not encrypted" in w for w in yt.warnings)
    # The encode of the canvas carries every change once: one encode feeds every destination on it.
    assert report.video["landscape"].keyframe_interval_s == 2.0
    assert report.video["landscape"].bitrate_kbps == 6000
    assert report.audio is not None and report.audio.bitrate_kbps == 160
    assert all(line.startswith(("fb:", "fbwhip:", "yt:")) for line in report.lines())


def test_validator_refuses_the_same_url_and_key_twice():
    report = validate([d("one", "rtmp://ingest.example/live", key="same"),
                       d("two", "rtmp://ingest.example/live/", key="same"),
                       d("three", "rtmp://ingest.example/live", key="other")],
                      {"landscape": VideoSettings()}, AudioSettings())
    assert [c.name for c in report.refused] == ["two"]
    assert "same ingest URL and stream key as 'one'" in report.check("two").refusals[0]
    assert report.check("two").exit_code == ExitCode.USAGE


def test_validator_refuses_a_canvas_this_studio_cannot_run():
    report = validate([d("tt", "rtmp://push.example/live", "tiktok", canvas="vertical")],
                      {"landscape": VideoSettings()}, AudioSettings())
    assert "vertical canvas is off" in report.check("tt").refusals[0]
    on_landscape = validate([d("tt", "rtmp://push.example/live", "tiktok")], {"landscape": VideoSettings()}, None)
    assert not on_landscape.check("tt").is_refused
    assert "watch vertical pictures" in on_landscape.check("tt").warnings[0]


def test_validator_refuses_a_protocol_missing_from_this_ffmpeg():
    missing = [p for p, status in output_protocols().items() if status != "ok"]
    if not missing:
        pytest.skip("this FFmpeg build sends every stream protocol")
    url = f"{missing[0]}://127.0.0.1:9000"
    report = validate([d("x", url)], {"landscape": VideoSettings()}, None)
    assert "this FFmpeg build cannot send" in report.check("x").refusals[0]


def test_every_preset_names_its_source():
    assert set(PRESETS) == {"platform", "tiktok", "youtube", "facebook", "twitch", "custom"}
    assert all(p.source for p in PRESETS.values())
    assert preset_for("TIKTOK").max_video_kbps(1080, 1920) == 8000
    assert preset_for("facebook").max_video_kbps(1280, 720) == 4000


def test_registry_finds_the_stream_output_and_names_missing_kinds():
    assert registry.output_kind("rtmp") is StreamOutput
    out = registry.make_output("rtmp", "rtmp://127.0.0.1:1/live", "k", name="shop")
    assert isinstance(out, StreamOutput) and out.name == "shop"
    with pytest.raises(BadUrlError, match="not a protocol the studio can send"):
        registry.make_output("gopher", "gopher://x", "", name="x")


def test_fault_specs_take_a_destination_name():
    drop, slow, crash, everywhere = parse_simulate(
        "net-drop@30s:10s:tiktok,slow-uplink@40s:800kbps:20s:yt,thread-crash@50s:output:yt,net-drop@60s:5s")
    assert (drop.kind, drop.duration_s, drop.destination) == ("net-drop", 10.0, "tiktok")
    assert (slow.rate_kbps, slow.duration_s, slow.destination) == (800.0, 20.0, "yt")
    assert (crash.part, crash.destination) == ("output", "yt")
    assert everywhere.destination is None
    assert parse_simulate("slow-uplink@1s:900kbps:shop")[0].duration_s is None
    with pytest.raises(FaultSpecError, match="only thread-crash@TIME:output takes a destination"):
        parse_simulate("thread-crash@5s:encoder:yt")


# -- the window's controller with several destinations (real nginx ingests, no Qt) --------------------
@pytest.mark.rtmp
def test_controller_goes_live_on_every_destination_and_a_wrong_key_is_that_ones_error(tmp_path, file_keyring):
    import time

    from seller_studio.studio.events import DestinationsChanged, LiveState, Notice
    from tests.helpers import Nginx
    from tests.media.test_many_destinations import refusing_auth_url, video_pts_ms
    from tests.studio.test_controller import Rig, _custom, _ready
    from tests.studio.test_controller import profile as profile_fixture

    auth = refusing_auth_url()
    main_ingest, extra_ingest = Nginx(tmp_path / "main").start(), Nginx(tmp_path / "extra").start()
    strict = Nginx(tmp_path / "strict", on_publish_url=auth.__enter__()).start()
    profile = _custom(profile_fixture.__wrapped__(), main_ingest.url)
    profile.destinations = [{"name": "second", "url": extra_ingest.url, "canvas": "landscape", "preset": "custom",
                             "protocol": ""},
                            {"name": "strict", "url": strict.url, "canvas": "landscape", "preset": "youtube",
                             "protocol": ""}]
    rig = Rig(profile, journal=None)
    try:
        rig.store.set_stream_key(rig.ctl.profile, "main-key")
        rig.store.secrets.set("stream-key:second", "second-key")
        rig.store.secrets.set("stream-key:strict", "wrong-key-42")
        _ready(rig)
        assert rig.call(lambda c: c.prepare_go_live())
        assert rig.call(lambda c: c.destination_names()) == ["stream", "second", "strict"]
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE, 15, "live")
        rig.wait(lambda: any("Destination 'strict' stopped" in e.text for e in rig.of(Notice)), 15, "strict's error")

        def rows():
            changed = rig.of(DestinationsChanged)
            return {r.name: r for r in changed[-1].rows} if changed else {}

        rig.wait(lambda: rows().get("second") is not None and rows()["second"].level == "good"
                 and rows()["stream"].level == "good", 10, "both lights green")
        # (the notice and the rows after it come from one handler on the owner thread: wait for the rows)
        rig.wait(lambda: rows()["strict"].level == "bad", 5, "strict's light red")
        assert "refused the stream" in rows()["strict"].detail
        rig.call(lambda c: c.reconnect_now("second"))  # a live destination: nothing to skip, nothing breaks
        time.sleep(2.0)
        assert rig.ctl.live_state == LiveState.LIVE and rows()["second"].state == "live"
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
    finally:
        rig.close()
        for server in (main_ingest, extra_ingest, strict):
            server.stop()
        auth.__exit__(None, None, None)
    for server in (main_ingest, extra_ingest):
        assert len(video_pts_ms(server.wait_recording_closed())) >= 2 * 30
    assert not strict.recordings()


@pytest.mark.rtmp
def test_controller_warns_before_facebooks_8_hour_limit(tmp_path, file_keyring):
    """A Facebook destination (RTMPS through nginx's TLS front): 15 minutes before its 8 hours the
    seller is told once, naming it; the show goes on."""
    import time

    from seller_studio.studio.events import LiveState, Notice
    from tests.helpers import Nginx
    from tests.studio.test_controller import Rig, _custom, _ready
    from tests.studio.test_controller import profile as profile_fixture

    main_ingest, fb = Nginx(tmp_path / "main").start(), Nginx(tmp_path / "fb", with_tls=True).start()
    profile = _custom(profile_fixture.__wrapped__(), main_ingest.url)
    profile.destinations = [{"name": "fb", "url": fb.tls_url, "canvas": "landscape", "preset": "facebook",
                             "protocol": ""}]
    rig = Rig(profile, journal=None)
    try:
        rig.store.set_stream_key(rig.ctl.profile, "main-key")
        rig.store.secrets.set("stream-key:fb", "fb-key")
        _ready(rig)
        assert rig.call(lambda c: c.prepare_go_live())
        rig.call(lambda c: c.go_live())
        rig.wait(lambda: rig.ctl.live_state == LiveState.LIVE
                 and rig.ctl.extra_destinations.outputs["fb"].state.value == "live", 20, "both live")
        assert not [e for e in rig.of(Notice) if "8 hours" in e.text]
        rig.call(lambda c: setattr(c, "live_started_at_s", time.monotonic() - (8 * 3600 - 14 * 60)))
        rig.wait(lambda: any("Facebook Live ends this broadcast in 14 minutes" in e.text for e in rig.of(Notice)),
                 10, "the warning")
        time.sleep(2.5)  # more stats ticks: still one warning
        assert len([e for e in rig.of(Notice) if "ends this broadcast" in e.text]) == 1
        assert "Destination 'fb'" in [e for e in rig.of(Notice) if "ends this broadcast" in e.text][0].text
        rig.call(lambda c: c.end_show())
        rig.wait(lambda: rig.ctl.live_state == LiveState.IDLE, 15, "idle")
    finally:
        rig.close()
        main_ingest.stop()
        fb.stop()


def test_one_failed_destination_among_several_is_not_not_live():
    from seller_studio.media.health import HealthMonitor
    from seller_studio.media.stats import DropCounts, SessionStats, StreamStats

    def tick(t: float, frames: int, outputs: tuple) -> SessionStats:
        return SessionStats(t, 0.0, 30.0, 30.0, 5.0, frames, DropCounts(), 20.0, 100.0, outputs=outputs)

    live = StreamStats("shop", "stream", "live", bitrate_sent_kbps=2500, encoder_bitrate_kbps=2500)
    failed = StreamStats("yt", "stream", "failed", error="the ingest refused the stream")
    monitor = HealthMonitor(30, 2500)
    monitor.assess(tick(1, 30, (live, failed)))
    verdict = monitor.assess(tick(2, 60, (live, failed)))
    assert verdict.level == "good", verdict
    alone = HealthMonitor(30, 2500).assess(tick(1, 30, (failed,)))
    assert alone.level == "bad" and alone.reason.startswith("Not live")


def test_the_auction_question_follows_the_main_destination_not_a_slow_other_one():
    from seller_studio.studio.health_gate import HealthGate

    gate = HealthGate()
    for second in range(12):  # the other destination drops a lot; the main one nothing
        gate.observe({"frames_encoded": 30 * second, "dropped": {"network": 20 * second},
                      "outputs": [{"kind": "stream", "name": "stream", "state": "live", "dropped_network": 0},
                                  {"kind": "stream", "name": "tiktok", "state": "live",
                                   "dropped_network": 20 * second}]})
    assert gate.problem() is None
