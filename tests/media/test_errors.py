"""Every user-fixable failure of `seller-studio stream`: one clear line, a distinct exit code, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest

from seller_studio.common.errors import ExitCode
from tests.helpers import SELLER_STUDIO, Nginx, free_port


def run_stream(*args: str, key: str = "secret-key-123", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(SELLER_STUDIO + ["stream", "--key-env", "K", "--size", "320x180", "--duration", "1",
                                           "--mic", "silence", *args],
                          env={**os.environ, "K": key}, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, code: ExitCode, words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]
    assert len(errors) == 1 and words in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert "secret-key-123" not in proc.stderr + proc.stdout


def test_unreachable_host():
    port = free_port()  # nothing listens there
    assert_one_line_error(run_stream("--url", f"rtmp://127.0.0.1:{port}/live"), ExitCode.UNREACHABLE_HOST,
                          "cannot reach the ingest")


@pytest.mark.rtmp
def test_refused_key(tmp_path):
    """nginx-rtmp asks an auth endpoint (on_publish) that accepts only the right key."""
    seen = []

    class Auth(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            name = parse_qs(body).get("name", [""])[0]
            seen.append(name)
            self.send_response(200 if name == "right-key" else 403)
            self.end_headers()

        def log_message(self, *args):
            pass

    http = HTTPServer(("127.0.0.1", 0), Auth)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    server = Nginx(tmp_path / "nginx", on_publish_url=f"http://127.0.0.1:{http.server_port}/auth").start()
    try:
        proc = run_stream("--url", server.url, key="secret-key-123")
        assert_one_line_error(proc, ExitCode.REJECTED_KEY, "refused the stream")
        assert seen and seen[0] == "secret-key-123"  # the ingest really was asked, and said no
        ok = run_stream("--url", server.url, key="right-key")
        assert ok.returncode == 0, ok.stderr
    finally:
        server.stop()
        http.shutdown()


@pytest.mark.parametrize("url", ["http://example.com/live", "rtmp:///nohost", "ftp://x", "rtmp://host:99999/live"])
def test_bad_url(url):
    assert_one_line_error(run_stream("--url", url), ExitCode.BAD_URL, "bad ingest URL")


def test_missing_camera(tmp_path):
    assert_one_line_error(run_stream("--record", str(tmp_path / "x.mkv"), "--camera", "No Such Cam"),
                          ExitCode.MISSING_CAMERA, "camera 'No Such Cam' not found")


@pytest.mark.parametrize("size", ["1280", "1281x720", "99999x99999", "axb"])
def test_unsupported_size(tmp_path, size):
    proc = run_stream("--record", str(tmp_path / "x.mkv"), "--size", size)
    assert_one_line_error(proc, ExitCode.UNSUPPORTED_SIZE, "size")


def test_unwritable_record_path(tmp_path):
    assert_one_line_error(run_stream("--record", str(tmp_path / "no" / "such" / "dir" / "x.mkv")),
                          ExitCode.UNWRITABLE_PATH, "does not exist")


def test_missing_microphone(tmp_path, pulse):
    assert_one_line_error(run_stream("--record", str(tmp_path / "x.mkv"), "--mic", "No Such Mic"),
                          ExitCode.MISSING_MIC, "microphone 'No Such Mic' not found")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="hiding the PortAudio library needs root and unshare (CI has both)")
def test_missing_portaudio_library(tmp_path):
    """Bind /dev/null over the real library in a private mount namespace: it is there but unloadable."""
    lib = subprocess.run(["sh", "-c", "readlink -f $(ldconfig -p | awk '/libportaudio.so.2 /{print $NF; exit}')"],
                         capture_output=True, text=True).stdout.strip()
    assert lib, "libportaudio2 is not installed"
    cmd = " ".join(SELLER_STUDIO + ["stream", "--record", str(tmp_path / "x.mkv"), "--mic", "default",
                                    "--duration", "1", "--size", "320x180"])
    proc = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind /dev/null {lib} && exec {cmd}"],
                          capture_output=True, text=True, timeout=60)
    assert_one_line_error(proc, ExitCode.MISSING_AUDIO_LIBRARY, "PortAudio library is missing")


def test_no_stream_key():
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--url", "rtmp://127.0.0.1:1/live", "--duration", "1"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
                          env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    assert_one_line_error(proc, ExitCode.NO_STREAM_KEY, "no stream key")


def test_nothing_to_do():
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--duration", "1"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == ExitCode.USAGE and "nothing to do" in proc.stderr




def test_srt_without_srt_support_is_a_clear_error():
    from seller_studio.media.outputs.stream import output_protocols

    supported = output_protocols()
    assert supported["rtmp"] == "ok" and supported["rtmps"] == "ok"
    if supported["srt"] == "ok":
        pytest.skip("this FFmpeg build has SRT")  # the error path only exists without it
    proc = run_stream("--url", "srt://127.0.0.1:9000")
    assert_one_line_error(proc, ExitCode.BAD_URL, "cannot send srt://")


def test_devices_lists_encoders_and_outputs():
    import json

    proc = subprocess.run(SELLER_STUDIO + ["devices", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["video_encoders"]["x264"] == "ok"
    assert found["outputs"]["rtmp"] == "ok"
    assert isinstance(found["cameras"], list)
