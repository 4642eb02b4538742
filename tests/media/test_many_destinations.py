"""Many destinations from one encode, with real parts: two nginx-rtmp ingests, one killed mid-show;
a wrong key on one; a slow link on one. What arrived is read back with ffprobe."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.rtmp_server import wait_for_port
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import OutputState
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.studio import pattern_studio
from tests.helpers import SELLER_STUDIO, Nginx, ffprobe, free_port, stream_of

pytestmark = pytest.mark.rtmp

FPS = 30


def video_pts_ms(path: Path) -> list[int]:
    """Video packet times in ms, relative to the first (FLV and MKV both keep ms)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    times = [round(float(t) * 1000) for t in out.stdout.split() if t not in ("", "N/A")]
    return [t - times[0] for t in times] if times else []


def test_one_ingest_killed_mid_show_the_other_keeps_every_frame(tmp_path):
    """Ingest b is killed at 4 s and restarted at 8 s; a sees 0 dropped frames and the very packets
    the local recording got (continuous timestamps); b comes back by itself."""
    server_a = Nginx(tmp_path / "a").start()
    server_b = Nginx(tmp_path / "b").start()
    studio = pattern_studio(320, 180, FPS)
    a, b = StreamOutput(server_a.url, "key-a", name="a"), StreamOutput(server_b.url, "key-b", name="b")
    recording = RecordingOutput(tmp_path / "local.mkv")
    duration_s = 13.0
    session = studio.go_live([a, b, recording], VideoSettings(320, 180, FPS, 600), AudioSettings(),
                             duration_s=duration_s)
    t0 = session.started_at_s
    try:
        time.sleep(max(0.0, t0 + 4 - time.monotonic()))
        server_b.kill()
        time.sleep(max(0.0, t0 + 8 - time.monotonic()))
        server_b = Nginx(tmp_path / "b", port=server_b.port).start()
        assert session.wait(duration_s + 10)
        b_state_at_end = b.state
        a_stats = a.stats()
    finally:
        studio.stop()
        server_a.stop()
        server_b.stop()
    # a: never noticed.
    assert a.reconnect_count == 0
    assert (a_stats.dropped_network, a_stats.dropped_disconnect) == (0, 0)
    received_a = video_pts_ms(server_a.wait_recording_closed())
    recorded = video_pts_ms(recording.final_path or recording.path)
    assert len(received_a) >= duration_s * FPS * 0.9
    assert received_a == recorded  # every frame the encoder made, at the same times
    gaps = [y - x for x, y in zip(received_a, received_a[1:], strict=False)]
    print(f"\na: {len(received_a)} frames, largest gap {max(gaps)} ms; b reconnects {b.reconnect_count}")
    assert max(gaps) <= 1000 / FPS * 1.6 + 1 or max(gaps) in {
        y - x for x, y in zip(recorded, recorded[1:], strict=False)}
    # b: back on its own, keyframe first, with a whole picture and sound.
    assert b_state_at_end == OutputState.LIVE and b.reconnect_count == 1
    assert b.first_packet_after_connect_was_keyframe == [True, True]
    second = server_b.wait_recording_closed()
    probe = ffprobe(second)
    assert int(stream_of(probe, "video")["width"]) == 320 and stream_of(probe, "audio")
    assert len(video_pts_ms(second)) >= 3 * FPS


def run_cli(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(SELLER_STUDIO + ["stream", "--size", "320x180", "--mic", "silence", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)


class RefusingAuth(BaseHTTPRequestHandler):
    """nginx-rtmp's on_publish hook: only "right-key" may publish."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.send_response(200 if parse_qs(body).get("name", [""])[0] == "right-key" else 403)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def refusing_auth_url():
    """The on_publish URL of a RefusingAuth in a process of its own: in the studio's process it
    would need the GIL that FFmpeg's RTMP publish holds while it waits for nginx's answer."""
    port = free_port()
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from http.server import HTTPServer; "
            "from tests.media.test_many_destinations import RefusingAuth; "
            "HTTPServer(('127.0.0.1', int(sys.argv[1])), RefusingAuth).serve_forever()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(port), str(Path(__file__).resolve().parents[2])])
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/auth"
    finally:
        proc.kill()
        proc.wait(5)


def test_wrong_key_on_one_destination_is_its_error_the_rest_go_live(tmp_path):
    stats = tmp_path / "stats.jsonl"
    with refusing_auth_url() as auth:
        strict = Nginx(tmp_path / "strict", on_publish_url=auth).start()
        open_ = Nginx(tmp_path / "open").start()
        try:
            proc = run_cli("--dest", f"shop={open_.url}", "--dest", f"yt={strict.url},preset=youtube",
                           "--key-env", "shop=KEY_SHOP", "--key-env", "yt=KEY_YT", "--duration", "4",
                           "--stats", str(stats), env={"KEY_SHOP": "shop-key-1", "KEY_YT": "wrong-key-987"})
        finally:
            strict.stop()
            open_.stop()
    assert proc.returncode == ExitCode.REJECTED_KEY, proc.stderr
    assert "destination 'yt': the ingest at" in proc.stderr and "refused the stream" in proc.stderr
    assert "live: shop rtmp://" in proc.stderr and "yt rtmp://" not in proc.stderr.split("live:")[1].splitlines()[0]
    assert "wrong-key-987" not in proc.stderr and "shop-key-1" not in proc.stderr
    assert not strict.recordings()
    shop = open_.wait_recording_closed()
    assert len(video_pts_ms(shop)) >= 3 * FPS
    last = json.loads(stats.read_text().splitlines()[-1])
    states = {o["name"]: o["state"] for o in last["outputs"]}
    assert states == {"shop": "live", "yt": "failed"}


def test_same_url_and_key_twice_is_one_line_naming_the_destination(tmp_path):
    proc = run_cli("--dest", "one=rtmp://127.0.0.1:1/live", "--dest", "two=rtmp://127.0.0.1:1/live",
                   "--key-env", "one=K", "--key-env", "two=K", "--duration", "1", env={"K": "same-key-123"})
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]
    assert len(errors) == 1 and "two: refused: same ingest URL and stream key as 'one'" in errors[0], proc.stderr
    assert "same-key-123" not in proc.stderr


def test_unsupported_protocol_is_one_line_naming_the_destination():
    from seller_studio.media.outputs.stream import output_protocols

    missing = [p for p, status in output_protocols().items() if status != "ok"]
    if not missing:
        pytest.skip("this FFmpeg build sends every stream protocol")
    proc = run_cli("--dest", f"far={missing[0]}://127.0.0.1:9000", "--no-key", "--duration", "1", env={})
    assert proc.returncode == ExitCode.BAD_URL, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]
    assert len(errors) == 1 and "far: refused:" in errors[0] and "this FFmpeg build cannot send" in errors[0], proc.stderr


def test_slow_uplink_on_one_destination_does_not_lower_the_other(tmp_path):
    """``--simulate slow-uplink@3s:250kbps:slow`` paces one destination's sending: it sheds video in
    its own send buffer while the shared encode and the other destination keep their bitrate."""
    fast_server, slow_server = Nginx(tmp_path / "fast").start(), Nginx(tmp_path / "slow").start()
    stats = tmp_path / "stats.jsonl"
    try:
        proc = run_cli("--dest", f"fast={fast_server.url}", "--dest", f"slow={slow_server.url}",
                       "--key-env", "fast=K1", "--key-env", "slow=K2", "--bitrate", "800", "--duration", "11",
                       "--simulate", "slow-uplink@3s:250kbps:slow", "--stats", str(stats),
                       env={"K1": "fast-key", "K2": "slow-key"})
    finally:
        fast_server.stop()
        slow_server.stop()
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in stats.read_text().splitlines()]
    late = [r for r in rows if r["t_s"] >= 6]
    by_name = [{o["name"]: o for o in r["outputs"]} for r in late]
    fast_kbps = sorted(o["fast"]["bitrate_sent_kbps"] for o in by_name)
    slow_kbps = sorted(o["slow"]["bitrate_sent_kbps"] for o in by_name)
    median = fast_kbps[len(fast_kbps) // 2]
    print(f"\nfast median {median} kbps, slow median {slow_kbps[len(slow_kbps) // 2]} kbps, "
          f"encode {[r['encoder_video_kbps'] for r in late]}, slow drops {by_name[-1]['slow']['dropped_network']}")
    assert all(r["encoder_video_kbps"] == 800 for r in rows)  # the shared encode never went down
    assert all(r["frames_skipped_ladder"] == 0 for r in rows)
    assert median >= 800 * 0.8  # video + audio go out at the set rate
    assert by_name[-1]["fast"]["dropped_network"] == 0 and by_name[-1]["fast"]["reconnects"] == 0
    assert slow_kbps[len(slow_kbps) // 2] <= 250 * 1.15  # the slow one really was slow ...
    assert by_name[-1]["slow"]["dropped_network"] > 0  # ... and shed video in its own buffer
    assert by_name[-1]["slow"]["state"] == "live"


@pytest.mark.slow  # the default run has the same claim through --simulate slow-uplink (above)
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("tc") is None,
                    reason="the shaped link needs root, unshare and tc (CI has them)")
def test_tc_shaped_link_to_one_destination_the_other_keeps_its_bitrate():
    scenario = Path(__file__).parent / "scenarios" / "shaped_destination.py"
    proc = subprocess.run(["unshare", "-n", sys.executable, str(scenario), "400", "1200"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n{result}")
    assert result["encoder_kbps"] == [1200]  # the shared encode stayed where it was set
    assert result["fast_median_kbps"] >= 1200 * 0.8
    assert result["fast_dropped"] == 0 and result["fast_reconnects"] == 0
    assert result["shaped_median_kbps"] <= 400 * 1.2
    assert result["shaped_state"] == "live"


def test_vertical_destination_gets_the_vertical_canvas(tmp_path):
    """``--dest tt=URL,canvas=vertical,preset=tiktok`` beside a landscape one: each ingest gets its
    canvas's picture, both with sound."""
    land, tall = Nginx(tmp_path / "land").start(), Nginx(tmp_path / "tall").start()
    try:
        proc = run_cli("--dest", f"shop={land.url}", "--dest", f"tt={tall.url},canvas=vertical,preset=tiktok",
                       "--vertical-size", "360x640", "--key-env", "shop=K1", "--key-env", "tt=K2",
                       "--duration", "3", env={"K1": "land-key", "K2": "tall-key"})
    finally:
        land.stop()
        tall.stop()
    assert proc.returncode == 0, proc.stderr
    for server, size in ((land, (320, 180)), (tall, (360, 640))):
        probe = ffprobe(server.wait_recording_closed())
        video = stream_of(probe, "video")
        assert (int(video["width"]), int(video["height"])) == size
        assert stream_of(probe, "audio")["codec_name"] == "aac"


@pytest.mark.slow  # 20 s; the default run kills a real ingest under one of two destinations (above)
def test_net_drop_on_one_named_destination(tmp_path):
    """``--simulate net-drop@3s:4s:b``: only b's relay is cut; b reconnects, a never notices."""
    server_a, server_b = Nginx(tmp_path / "a").start(), Nginx(tmp_path / "b").start()
    stats = tmp_path / "stats.jsonl"
    try:
        proc = run_cli("--dest", f"a={server_a.url}", "--dest", f"b={server_b.url}", "--key-env", "a=K1",
                       "--key-env", "b=K2", "--duration", "16", "--simulate", "net-drop@3s:4s:b",
                       "--stats", str(stats), env={"K1": "a-key", "K2": "b-key"})
    finally:
        server_a.stop()
        server_b.stop()
    assert proc.returncode == 0, proc.stderr
    last = {o["name"]: o for o in json.loads(stats.read_text().splitlines()[-1])["outputs"]}
    assert (last["a"]["reconnects"], last["a"]["dropped_network"], last["a"]["dropped_disconnect"]) == (0, 0, 0)
    assert last["b"]["dropped_disconnect"] > 0  # b lost the cut's frames ...
    assert "b: sent" in proc.stderr and "reconnects 1" in proc.stderr.split("b: sent")[1]
    assert len(video_pts_ms(server_a.wait_recording_closed())) >= 15 * FPS


def test_a_fault_naming_a_destination_the_show_lacks_is_one_line():
    proc = run_cli("--dest", "a=rtmp://127.0.0.1:1/live", "--key-env", "a=K", "--duration", "1",
                   "--simulate", "net-drop@1s:1s:tiktok", env={"K": "k-123"})
    assert proc.returncode == ExitCode.BAD_SIMULATE_SPEC, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]
    assert len(errors) == 1 and "names the destination 'tiktok'" in errors[0] and "have: a" in errors[0], proc.stderr


def test_rtmp_and_whip_destinations_from_one_encode(tmp_path):
    """``--dest shop=rtmp://...`` beside ``--dest low=whip://...``: one encode, both get the picture
    and the sound (the WebRTC peer decodes increasing frame codes and Opus audio)."""
    from tests.media.test_whip_output import Peer

    peer = Peer(key="whip-key")
    peer.ingest.start()
    shop = Nginx(tmp_path / "shop").start()
    try:
        proc = run_cli("--dest", f"shop={shop.url}", "--dest", f"low={peer.ingest.url.replace('http://', 'whip://')}",
                       "--key-env", "shop=K1", "--key-env", "low=K2", "--size", "640x360", "--duration", "4",
                       env={"K1": "shop-key", "K2": "whip-key"})
    finally:
        shop.stop()
        peer.ingest.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "live: shop rtmp://" in proc.stderr and " low http://" in proc.stderr
    probe = ffprobe(shop.wait_recording_closed())
    assert stream_of(probe, "video")["width"] == 640 and stream_of(probe, "audio")["codec_name"] == "aac"
    assert len(peer.codes) > 30 and peer.ingest.audio_frames > 20
    assert all(b > a for a, b in zip(peer.codes, peer.codes[1:], strict=False))


def test_an_output_added_while_live_is_listed_before_it_starts_and_gets_nothing_before(tmp_path):
    """add_output lists the output first (one that fails at once is found by remove_output) and
    hands it nothing before its start returned, then from a keyframe on."""
    from seller_studio.common.net import free_port
    from seller_studio.media.outputs.base import Output

    class Probe(Output):
        kind = "probe"

        def __init__(self, session) -> None:
            super().__init__("probe")
            self.session, self.started, self.listed_at_start = session, False, False
            self.sent_before_start = 0
            self.first_video_is_keyframe: bool | None = None

        def start(self, templates: list) -> None:
            self.listed_at_start = self in self.session.outputs
            time.sleep(0.3)  # a slow start: packets flow meanwhile, none may reach it
            self.started = True

        def send(self, packet) -> None:
            if not self.started:
                self.sent_before_start += 1
            elif packet.kind == "video" and self.first_video_is_keyframe is None:
                self.first_video_is_keyframe = packet.is_keyframe

        def stop(self, timeout_s: float = 10.0) -> None:
            pass

    studio = pattern_studio(320, 180, FPS)
    session = studio.go_live([RecordingOutput(tmp_path / "r.mkv")], VideoSettings(320, 180, FPS, 400), AudioSettings())
    try:
        time.sleep(0.5)
        probe = Probe(session)
        session.add_output(probe)
        dead = StreamOutput(f"rtmp://127.0.0.1:{free_port()}/live", "k", name="dead")  # fails at its first connect
        session.add_output(dead)
        assert dead in session.outputs
        deadline = time.monotonic() + 10
        while dead.state != OutputState.FAILED and time.monotonic() < deadline:
            time.sleep(0.05)
        session.remove_output(dead)
        time.sleep(2.5)  # a keyframe comes within 2 s
    finally:
        studio.stop()
    assert probe.listed_at_start and probe.sent_before_start == 0 and probe.first_video_is_keyframe is True
    assert dead.state == OutputState.FAILED and dead not in session.outputs
