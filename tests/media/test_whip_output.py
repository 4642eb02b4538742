"""The WHIP output against a real WebRTC peer (issue 14 item 4): the sandbox's aiortc WHIP ingest
decodes what the studio sends; endpoints that refuse, fail or never answer each give one line."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from seller_studio.common.errors import BadUrlError
from seller_studio.media import framecode
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.encoders.registry import open_encoders
from seller_studio.media.outputs.base import OutputState, StopReason
from seller_studio.media.outputs.whip import WhipOutput, h264_profile_of, parse_whip_url
from seller_studio.media.studio import pattern_studio
from seller_studio.platform.sandbox.whip_ingest import WhipIngest

pytestmark = pytest.mark.timeout(60)


class Peer:
    """The sandbox's WHIP ingest with what it decoded: frame codes in arrival order, audio frames, events."""

    def __init__(self, key: str = "whip-key") -> None:
        self.codes: list[int] = []
        self.audio_rates: set[int] = set()
        self.events: list[tuple[str, dict]] = []
        self.ingest = WhipIngest(lambda name, payload: self.events.append((name, payload)), stream_key=key,
                                 on_video_frame=self._video, on_audio_frame=self._audio)

    def _video(self, frame) -> None:
        code = framecode.read(frame.to_ndarray(format="gray"))
        if code is not None:
            self.codes.append(code.frame_number)

    def _audio(self, frame) -> None:
        self.audio_rates.add(frame.sample_rate)

    def health(self) -> list[dict]:
        return [payload for name, payload in self.events if name == "ingest.health"]


@pytest.fixture
def peer():
    p = Peer()
    p.ingest.start()
    yield p
    p.ingest.stop()


def test_stream_reaches_a_webrtc_peer_with_increasing_frame_codes_and_audio(peer):
    studio = pattern_studio(640, 360, 30)
    output = WhipOutput(peer.ingest.url.replace("http://", "whip://"), "whip-key", name="auction")
    try:
        session = studio.go_live([output], VideoSettings(640, 360, 30, 1000), AudioSettings())
        assert output.state == OutputState.LIVE
        # WebRTC peers take baseline without B-frames: the session encoded it so.
        assert h264_profile_of(bytes(session.encoders.video.stream.codec_context.extradata)) == 66
        deadline = time.monotonic() + 20
        while (len(peer.codes) < 60 or not any(h["has_audio"] for h in peer.health())) and time.monotonic() < deadline:
            time.sleep(0.1)
        stats = output.stats()
    finally:
        studio.stop()
    assert len(peer.codes) >= 60, f"only {len(peer.codes)} decoded frames with a frame code"
    assert all(b > a for a, b in zip(peer.codes, peer.codes[1:], strict=False)), "frame codes must increase frame by frame"
    assert peer.ingest.audio_frames > 50 and peer.audio_rates == {48000}
    health = peer.health()[-1]
    assert (health["width"], health["height"]) == (640, 360) and health["has_audio"]
    assert health["fps"] > 20 and health["bitrate_kbps"] > 100
    # Every report rates what arrived, the first one too (it read 0 kbps while 30 frames a second came).
    assert all(h["bitrate_kbps"] > 0 for h in peer.health()), peer.health()
    assert output.first_packet_after_connect_was_keyframe == [True]
    assert stats.kind == "stream" and stats.bytes_sent > 0 and stats.url.startswith("http://127.0.0.1")
    # End Show ends the WHIP session with a DELETE of its resource.
    assert peer.ingest.sessions_deleted == 1 and peer.ingest.sessions == 0
    assert ("ingest.status", {"state": "ended"}) in peer.events


def templates():
    return open_encoders(VideoSettings(320, 180, 30, 500, profile="baseline"), AudioSettings())


def start_and_wait(output: WhipOutput, timeout_s: float = 15.0) -> float:
    encoders = templates()
    started = time.monotonic()
    try:
        output.start(encoders.templates())
        assert not output.wait_started(timeout_s)
        return time.monotonic() - started
    finally:
        output.stop(2.0)
        encoders.close()


def assert_one_line(output: WhipOutput, reason: StopReason, *words: str) -> None:
    assert output.state == OutputState.FAILED and output.stop_reason is reason, (output.stop_reason, output.error)
    assert output.error and "\n" not in output.error
    for word in words:
        assert word in output.error, (word, output.error)


def test_wrong_key_is_a_refusal_naming_the_destination(peer):
    output = WhipOutput(peer.ingest.url, "not-the-key", name="tiktok")
    start_and_wait(output)
    assert_one_line(output, StopReason.REJECTED, "401", "stream key", "tiktok", peer.ingest.url)
    assert "not-the-key" not in output.error
    assert peer.ingest.offers_refused == 1 and peer.ingest.offers_answered == 0


class StatusServer:
    """An HTTP server that answers every POST with one status (a platform's endpoint having a bad day)."""

    def __init__(self, status: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/whip/live"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status", "reason", "words"), [
    (503, StopReason.UNREACHABLE, ("503", "server error")),
    (404, StopReason.BAD_URL, ("404", "WHIP URL")),
    (403, StopReason.REJECTED, ("403", "stream key")),
])
def test_endpoint_answering_an_error_status_is_one_line(status, reason, words):
    server = StatusServer(status)
    try:
        output = WhipOutput(server.url, "k", name="shop")
        start_and_wait(output)
    finally:
        server.close()
    assert_one_line(output, reason, *words, "destination 'shop'", server.url)


def test_endpoint_that_never_answers_the_offer_fails_at_its_deadline():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts (the kernel does), never reads, never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/whip"
    try:
        output = WhipOutput(url, "k", name="youtube")
        output.answer_timeout_s = 1.0
        took = start_and_wait(output)
    finally:
        silent.close()
    assert_one_line(output, StopReason.NO_ANSWER, "did not answer within 1 s", "youtube")
    assert took < 4.0, f"the deadline took {took:.1f} s"


def test_nothing_listening_is_unreachable():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    output = WhipOutput(f"whip://127.0.0.1:{port}/whip", "k")
    start_and_wait(output)
    assert_one_line(output, StopReason.UNREACHABLE, "cannot reach the WHIP endpoint", f"127.0.0.1:{port}")


def test_stop_while_the_endpoint_is_silent_returns_at_once():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    encoders = templates()
    try:
        output = WhipOutput(f"http://127.0.0.1:{silent.getsockname()[1]}/whip", "k")
        output.answer_timeout_s = 30.0
        output.start(encoders.templates())
        time.sleep(0.5)
        started = time.monotonic()
        output.stop(3.0)
        assert time.monotonic() - started < 1.5  # not the 30 s answer deadline, nor the 3 s join
        assert output.state == OutputState.STOPPED and output.stop_reason is StopReason.REQUESTED
    finally:
        silent.close()
        encoders.close()


@pytest.mark.parametrize("url", ["rtmp://127.0.0.1/live", "ftp://host/whip", "whip:///nohost", "http://h:99999/x"])
def test_unsupported_protocol_or_bad_url_is_one_line(url):
    with pytest.raises(BadUrlError) as err:
        WhipOutput(url, "k")
    assert "\n" not in str(err.value) and "WHIP URL" in str(err.value)


def test_whip_urls_go_out_as_http():
    assert parse_whip_url("whip://ingest.example:8080/live?x=1") == "http://ingest.example:8080/live?x=1"
    assert parse_whip_url("whips://ingest.example/whip") == "https://ingest.example/whip"
    assert parse_whip_url("https://ingest.example") == "https://ingest.example/"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_whip_and_rtmp_latency_bench_prints_both(capsys):
    """Issue 14's "WHIP vs RTMP latency p50/p95" (goal WHIP p95 <= 150 ms on loopback): printed, not
    asserted against the goal (the shared 2-core machine's load moves it); both paths must measure."""
    from seller_studio.diagnostics.bench import latency_comparison

    result = latency_comparison(10.0, lambda message: None)
    with capsys.disabled():
        for key in ("latency", "whip_latency"):
            print(f"\n{key}: {result[key]}")
    for key in ("latency", "whip_latency"):
        assert "error" not in result[key], result[key]
        assert result[key]["frames"] > 100 and result[key]["missing_frames"] is not None
    assert result["whip_latency"]["audio_frames"] > 100


def test_stream_command_goes_live_over_whip_and_a_wrong_key_is_exit_11(peer):
    """`seller-studio stream --url whip://...`: the headless command over WHIP, key from --key-env."""
    from seller_studio.common.errors import ExitCode
    from tests.media.test_errors import assert_one_line_error, run_stream

    url = peer.ingest.url.replace("http://", "whip://")
    ok = run_stream("--url", url, "--size", "640x360", "--duration", "3", key="whip-key")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert len(peer.codes) > 30 and peer.ingest.audio_frames > 20
    assert all(b > a for a, b in zip(peer.codes, peer.codes[1:], strict=False))
    refused = run_stream("--url", url, key="secret-key-123")
    assert_one_line_error(refused, ExitCode.REJECTED_KEY, "refused the stream (401 Unauthorized): check the stream key")


def _peer_process(port: int, key: str):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "seller_studio.diagnostics.whip_latency_probe", str(port), key,
                             "60"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_killed_peer_is_noticed_and_the_stream_comes_back_when_it_returns():
    """The WHIP peer's process is killed (no goodbye, no DELETE): the output notices the silence of
    its RTCP reports, reconnects when the endpoint is back, keyframe first; the recording-like
    guarantees of RTMP hold (no crash, one reconnect)."""
    from seller_studio.common.net import free_port

    port, key = free_port(), "kill-key"
    peer = _peer_process(port, key)
    studio = pattern_studio(320, 180, 30)
    output = WhipOutput(f"http://127.0.0.1:{port}/whip", key)
    output.peer_silence_s = 2.0
    states: list[str] = []
    output.events.subscribe(lambda name, payload: states.append(payload["state"]) if name == "output_state" else None)
    try:
        studio.go_live([output], VideoSettings(320, 180, 30, 300), AudioSettings())
        time.sleep(1.5)
        peer.kill()
        peer.wait()
        deadline = time.monotonic() + 10
        while output.state == OutputState.LIVE and time.monotonic() < deadline:
            time.sleep(0.1)
        assert output.state in (OutputState.RECONNECTING, OutputState.CONNECTING), states
        assert output.disconnect_reasons == ["peer silent"]
        peer = _peer_process(port, key)
        back_at = time.monotonic()
        while output.state != OutputState.LIVE and time.monotonic() < back_at + 10:
            time.sleep(0.05)
        assert output.state == OutputState.LIVE, states
        assert time.monotonic() - back_at < 3.0  # the port watch (every 0.5 s) brought it back
        time.sleep(1.0)
        assert output.reconnect_count == 1 and output.crashes_total == 0
        assert output.first_packet_after_connect_was_keyframe == [True, True]
    finally:
        studio.stop()
        peer.kill()
        peer.wait()


def test_the_peers_picture_loss_request_brings_a_keyframe_at_once():
    """A viewer's decoder that lost a picture sends RTCP PLI: the session encodes a keyframe now
    instead of at the next keyframe interval (10 s here)."""
    keyframes: list[float] = []
    ingest = WhipIngest(lambda name, payload: None, stream_key="k",
                        on_video_frame=lambda f: keyframes.append(time.monotonic()) if f.key_frame else None).start()
    studio = pattern_studio(320, 180, 30)
    output = WhipOutput(ingest.url, "k")
    try:
        studio.go_live([output], VideoSettings(320, 180, 30, 300, keyframe_interval_s=10.0), AudioSettings())
        deadline = time.monotonic() + 5
        while not keyframes and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        assert len(keyframes) == 1  # the first one only: the next is 10 s away
        asked_at = time.monotonic()
        assert ingest.ask_keyframe() == 1
        while len(keyframes) < 2 and time.monotonic() < asked_at + 3:
            time.sleep(0.02)
        assert output.keyframes_asked_by_peer == 1
        assert len(keyframes) == 2 and keyframes[1] - asked_at < 1.0
    finally:
        studio.stop()
        ingest.stop()


def test_doctor_checks_a_whip_endpoint_without_opening_a_stream(peer):
    from seller_studio.diagnostics.doctor import check_ingest

    ok = check_ingest(peer.ingest.url.replace("http://", "whip://"))
    assert ok.status == "pass" and "the WHIP endpoint answers" in ok.detail
    assert peer.ingest.offers_answered == 0  # OPTIONS only: no WHIP session was made
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    down = check_ingest(f"whip://127.0.0.1:{port}/whip")
    assert down.status == "fail" and "does not answer" in down.detail and down.fix


def test_a_slow_uplink_fills_the_send_buffer_and_its_drop_policy_sheds_video_not_audio(peer):
    """--simulate slow-uplink on a WHIP stream: sending is paced to 250 kbit/s for a 900 kbit/s
    stream; the backlog builds in the send buffer, which drops video by time (never audio, never
    keyframes), so the picture at the peer goes on with gaps and the sound goes on."""
    studio = pattern_studio(640, 360, 30)
    output = WhipOutput(peer.ingest.url, "whip-key")
    try:
        studio.go_live([output], VideoSettings(640, 360, 30, 900), AudioSettings())
        time.sleep(1.0)
        audio_before = output.audio_packets_sent
        output.simulated_uplink_kbps = 250
        time.sleep(4.0)
        stats = output.stats()
        audio_sent = output.audio_packets_sent - audio_before
        codes_while_slow = len(peer.codes)
        output.simulated_uplink_kbps = None
        time.sleep(1.5)
    finally:
        studio.stop()
    assert stats.dropped_network > 30, stats
    assert output.buffer.peak_buffered_ms >= 700
    # 20 ms Opus frames: the sound was never dropped, only held back by the backlog (at most ~1 s).
    assert audio_sent >= (4 - 1.2) * 50
    assert len(peer.codes) > codes_while_slow  # the picture goes on once the link is back
    assert all(b > a for a, b in zip(peer.codes, peer.codes[1:], strict=False))


def test_without_aiortc_whip_is_one_line_naming_what_is_missing(monkeypatch):
    """A build without aiortc (a broken install): WHIP fails with one line at Go Live, never at start-up."""
    import sys

    from seller_studio.common.errors import UserError
    from seller_studio.studio.destination import Destination

    monkeypatch.setitem(sys.modules, "aiortc", None)  # `import aiortc` raises ImportError
    assert WhipOutput.unavailable_reason("whip") == "WHIP needs the aiortc package, which is not installed"
    with pytest.raises(UserError, match="aiortc"):
        Destination("shop", "whip://127.0.0.1:9/whip", None, key="k").open_output()
    output = WhipOutput("whip://127.0.0.1:9/whip", "k", name="shop")
    encoders = templates()
    output.start(encoders.templates())
    encoders.close()
    assert_one_line(output, StopReason.BAD_URL, "aiortc", "destination 'shop'")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="a private network namespace needs root and unshare (CI has both)")
def test_with_loopback_as_the_only_interface_the_demo_still_goes_live_over_whip():
    """aioice leaves 127.0.0.1 out of its candidates: with no other interface up (a laptop offline
    with the demo) a studio could not reach a WHIP endpoint on the same machine."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    scenario = Path(__file__).parent / "scenarios" / "whip_loopback_only.py"
    proc = subprocess.run(["unshare", "-n", sys.executable, str(scenario)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["interfaces"] == ["lo"]
    assert result["error"] is None and result["codes"] > 30 and result["increasing"], result
    assert result["audio_frames"] > 50


def test_the_peers_loss_reports_set_the_pace_and_clean_reports_lift_it():
    """The loss rule on its own (the receiver reports' cumulative counters as they arrive)."""
    output = WhipOutput("whip://127.0.0.1:9/whip", "k")
    output._record_sent(time.monotonic(), 1200 * 1000 // 8)  # 1200 kbit went out in the last second
    output._on_report(0, 100)  # the first report only sets the counters
    assert output.link_kbps is None
    output._on_report(50, 150)  # (lost, received so far): 50 of the next 100 packets lost
    assert output.peer_loss_percent == 50.0
    assert output.link_kbps == pytest.approx(600 * (1 - 0.25))  # what went out (2 s window) x (1 - loss/2)
    paced = output.link_kbps
    output._on_report(50, 250)  # a clean report: 8 % more
    assert output.link_kbps == pytest.approx(paced * 1.08)
    output._on_report(52, 348)  # 2 % loss: hold
    assert output.link_kbps == pytest.approx(paced * 1.08)
    output._on_report(500, 0)  # a report counting earlier losses: never more than 100 %
    assert output.peer_loss_percent == 100.0
    assert output.link_kbps == pytest.approx(paced * 1.08 * 0.5)  # halved (never under min_link_kbps)
    for n in range(20):  # clean reports until the link no longer limits what is sent
        output._on_report(500, 100 + 100 * n)
    assert output.link_kbps is None


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("tc") is None,
                    reason="the shaped link needs root, unshare and tc (CI has them)")
def test_a_link_slower_than_the_stream_lowers_the_encode_and_the_picture_comes_back():
    """1200 kbps over WHIP, then the link to the peer is capped at 400 kbit/s by tc. UDP sends never
    wait, so the studio learns it only from the peer's loss reports: it paces its sending, the send
    buffer fills, the encode follows (as for RTMP) and the peer decodes a picture again. (Before,
    the peer decoded no frame at all after the cap and the studio's stats showed nothing.)"""
    import json
    import subprocess
    import sys
    from pathlib import Path

    scenario = Path(__file__).parent / "scenarios" / "whip_shaped_link.py"
    proc = subprocess.run(["unshare", "-n", sys.executable, str(scenario), "400", "1200", "25"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print("\n" + "\n".join(json.dumps(r) for r in result["rows"]))
    assert result["lowest_plan_kbps"] is not None and result["lowest_plan_kbps"] < 400  # the encode followed
    assert any(r["pace_kbps"] for r in result["rows"]) and any(r["dropped"] for r in result["rows"])
    assert result["decoded_last_5s"] >= 40 and result["increasing"], result["decoded_last_5s"]  # >= 8 fps again


def test_net_drop_cannot_cut_a_whip_destination_and_says_so():
    """--simulate net-drop reroutes a stream through a TCP relay: a WHIP destination's media is UDP.
    Naming it is one line; a net-drop for all destinations leaves it alone."""
    from seller_studio.diagnostics.faults import FaultSpecError
    from seller_studio.diagnostics.studio_faults import StudioFaults, parse_for_window

    output = WhipOutput("whip://127.0.0.1:9/whip", "k", name="shop")
    with pytest.raises(FaultSpecError) as err:
        StudioFaults(parse_for_window("net-drop@3s:4s:shop", has_sandbox=False)).route(output)
    assert "\n" not in str(err.value) and "WHIP destination 'shop'" in str(err.value)
    everyone = StudioFaults(parse_for_window("net-drop@3s:4s", has_sandbox=False))
    everyone.route(output)
    assert everyone.relays == {} and output.http_url == "http://127.0.0.1:9/whip"
