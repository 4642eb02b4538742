"""One error model for outputs (issue 13 item 5, issue 15 "stream output"): every way an ingest can
turn the studio away is its own StopReason on the output, mapped to its own exit code only in cli/,
with one line that names the fix — against real sockets that misbehave on purpose.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from seller_studio.cli.stream_cmd import EXIT_CODES, exit_code_for
from seller_studio.common.errors import ExitCode
from seller_studio.media.outputs.base import Output, StopReason
from seller_studio.media.outputs.bitrate import RatePlan
from seller_studio.media.stats import (
    CrashRecord,
    DropCounts,
    RecordingStats,
    SessionStats,
    StreamStats,
    Verdict,
)
from tests.helpers import SELLER_STUDIO
from tests.media.test_errors import assert_one_line_error, run_stream


class MisbehavingServer:
    """A TCP server on loopback that does one wrong thing to every connection."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.behaviour == "silent":
                self.conns.append(conn)  # accepts, then never says a word
            elif self.behaviour == "handshake-then-silent":
                self.conns.append(conn)  # an overloaded ingest: the RTMP handshake, then nothing
                threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()
            elif self.behaviour == "http":
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                finally:
                    conn.close()
            elif self.behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()

    @staticmethod
    def _handshake(conn: socket.socket) -> None:
        got = b""
        with contextlib.suppress(OSError):
            while len(got) < 1 + 1536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                got += chunk
            conn.sendall(b"\x03" + bytes(1536) + got[1:1 + 1536])  # S0 S1 S2; then reads, never answers

    def close(self) -> None:
        self._stop.set()
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def server(request):
    s = MisbehavingServer(request.param)
    yield s
    s.close()


@pytest.mark.parametrize("server,scheme,code,words", [
    ("silent", "rtmp", ExitCode.INGEST_NO_ANSWER, "did not answer within 5 s"),
    ("http", "rtmp", ExitCode.NOT_AN_RTMP_SERVER, "is not an RTMP server (it answered 'HTTP/1.1 400"),
    ("reset", "rtmp", ExitCode.NOT_AN_RTMP_SERVER, "is not an RTMP server"),
    ("http", "rtmps", ExitCode.TLS_FAILED, "the TLS handshake failed"),
    ("silent", "rtmps", ExitCode.TLS_FAILED, "no TLS answer within 5 s"),
], indirect=["server"])
def test_each_way_an_ingest_turns_us_away_has_its_own_code_and_fix(server, scheme, code, words):
    started = time.monotonic()
    proc = run_stream("--url", f"{scheme}://127.0.0.1:{server.port}/live")
    took_s = time.monotonic() - started
    assert_one_line_error(proc, code, words)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("seller-studio: error:"))
    assert any(fix in line for fix in ("check the ingest URL", "use rtmp://", "check the port")), line
    assert took_s < 20  # every wait had a deadline (the hung TLS server froze the process before)
    print(f"\n{server.behaviour} {scheme}: exit {proc.returncode} in {took_s:.1f} s: {line}")


@pytest.mark.parametrize("server", ["handshake-then-silent"], indirect=True)
def test_an_ingest_that_stalls_after_the_handshake_fails_within_its_deadline(server):
    """FFmpeg's connect and publish used to run holding Python's GIL with no deadline: this server froze
    the whole process (--duration and SIGTERM ignored) until killed."""
    started = time.monotonic()
    proc = run_stream("--url", f"rtmp://127.0.0.1:{server.port}/live", timeout=40)
    took_s = time.monotonic() - started
    assert_one_line_error(proc, ExitCode.INGEST_NO_ANSWER, "answered the RTMP handshake but did not let us publish")
    assert took_s < 25, took_s
    print(f"\nhandshake-then-silent: exit {proc.returncode} in {took_s:.1f} s")


@pytest.mark.parametrize("server", ["handshake-then-silent"], indirect=True)
def test_sigterm_while_the_ingest_stalls_ends_the_stream_at_once(server):
    """The process stays responsive while FFmpeg waits for the ingest: a stop ends the wait."""
    proc = subprocess.Popen(SELLER_STUDIO + ["stream", "--url", f"rtmp://127.0.0.1:{server.port}/live", "--no-key",
                                             "--size", "320x180", "--duration", "30", "--mic", "silence"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while len(server.conns) < 2 and time.monotonic() < deadline:  # the probe, then FFmpeg's connection
            time.sleep(0.05)
        assert len(server.conns) >= 2, "the studio never connected"
        time.sleep(1.0)  # FFmpeg is now waiting for an answer to its connect command
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        took_s = time.monotonic() - sent_at
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    print(f"\nSIGTERM while FFmpeg waited for the ingest: exited in {took_s:.2f} s (code {proc.returncode})")
    assert took_s < 5


def test_exit_codes_are_distinct_and_only_the_cli_maps_them():
    codes = [int(c) for c in EXIT_CODES.values()]
    assert len(set(codes)) == len(codes)
    assert exit_code_for(StopReason.DISK_FULL) == 33 and exit_code_for(StopReason.REQUESTED) == 0
    assert exit_code_for(StopReason.UNSET) == ExitCode.FAILURE  # unset is never success
    # The reason is declared on every output; nothing reads a "failure" attribute any more.
    assert "stop_reason" in Output.__init__.__code__.co_names
    assert not hasattr(Output, "failure")


def test_session_stats_are_typed_and_keep_their_json_shape():
    stats = SessionStats(
        t_s=12.0, wall_time=1.7e9, fps=29.9, target_fps=30, encode_ms_per_frame=6.1, frames_encoded=360,
        dropped=DropCounts(0, 1, 4), cpu_percent=80.0, rss_mb=210.0, scene="single",
        outputs=(StreamStats("stream", "stream", "live", url="rtmp://x/live", encoder_bitrate_kbps=505,
                             is_dynamic_bitrate=True, rate_plan=RatePlan(505, 160, 1, 800), link_kbps=790,
                             dropped_network=4),
                 RecordingStats("recording", "recording", "live", path="show.mkv", packets=900)),
        thread_crashes=(CrashRecord("encoder", "encoder", "RuntimeError: x", 3.2, 11.0),),
        thread_crashes_total=1, health=Verdict("warning", "ok", ""))
    d = stats.to_dict()
    assert d["dropped"] == {"render_lag": 0, "encode_lag": 1, "network": 4}
    assert d["outputs"][0]["rate_plan"] == {"video_kbps": 505, "audio_kbps": 160, "fps_divisor": 1, "link_kbps": 800}
    assert d["health"] == {"level": "warning", "reason": "ok", "fix": ""}
    assert SessionStats.from_dict(d) == stats  # the journal and --stats lines read back to the same object
    assert stats.streams()[0].link_kbps == 790


@pytest.mark.slow
@pytest.mark.rtmp
def test_an_ingest_that_stops_reading_mid_show_is_a_disconnect_then_a_reconnect(tmp_path):
    """nginx frozen (SIGSTOP) while live: once the kernel's buffers are full a write cannot go out, the
    output gives up on that connection past its deadline instead of waiting for TCP (15+ minutes),
    closes in about a second, and is live again soon after the ingest wakes (SIGCONT)."""
    import os
    import re

    from tests.helpers import Nginx

    server = Nginx(tmp_path / "nginx").start()
    try:
        proc = subprocess.Popen(SELLER_STUDIO + ["stream", "--url", server.url, "--no-key", "--size", "640x360",
                                                 "--duration", "45", "--mic", "tone", "--bitrate", "6000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)
        pids = [int(p) for p in subprocess.run(["pgrep", "-f", f"nginx.*{tmp_path}"], capture_output=True,
                                               text=True).stdout.split()]
        assert pids
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(32)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        err = proc.communicate(timeout=60)[1]
    finally:
        server.stop()
    stamps = {what: re.search(rf"(\d\d):(\d\d):(\d\d),(\d+) \w+ .*{what}", err) for what in
              ("send failed: sending failed: not sent within", "disconnected from")}
    assert all(stamps.values()), err[-2000:]
    secs = {k: int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) + int(m[4]) / 1000 for k, m in stamps.items()}
    closed_in_s = secs["disconnected from"] - secs["send failed: sending failed: not sent within"]
    print(f"\nfrozen ingest: write gave up, connection closed {closed_in_s:.2f} s later; reconnected: "
          f"{'reconnect #1' in err}")
    assert closed_in_s < 3 and "(reconnect #1)" in err and proc.returncode == 0
