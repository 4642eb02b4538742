"""Issue 15, stream output: Ctrl-C / SIGTERM end `seller-studio stream` within 2 s with the recording
finalized, even while it is still connecting to an ingest that never answers; a stream key pasted
into the URL is never printed; an .mp4 recording survives as MKV while live and ends as MP4.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from seller_studio.common.errors import ExitCode
from tests.helpers import SELLER_STUDIO, decode_media, ffprobe, stream_duration_s


def start_stream(*args: str) -> tuple[subprocess.Popen, list[str], threading.Event]:
    proc = subprocess.Popen(SELLER_STUDIO + ["stream", "--size", "320x180", "--mic", "tone", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    live = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith("live:"):
                live.set()

    threading.Thread(target=read, daemon=True).start()
    return proc, lines, live


def signal_and_time_exit(proc: subprocess.Popen, sig: int) -> float:
    sent = time.monotonic()
    proc.send_signal(sig)
    proc.wait(15)
    return time.monotonic() - sent


@pytest.mark.rtmp
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_live_ends_within_2_s_with_the_recording_finalized(tmp_path, nginx, sig):
    record = tmp_path / "show.mkv"
    proc, lines, live = start_stream("--url", nginx.url, "--no-key", "--record", str(record))
    try:
        assert live.wait(30), lines
        time.sleep(2.5)
        took_s = signal_and_time_exit(proc, sig)
    finally:
        proc.kill()
    print(f"\n{signal.Signals(sig).name} while live: exit {proc.returncode} after {took_s:.2f} s")
    assert took_s < 2.0 and proc.returncode == 0, lines
    assert any(line.startswith("recording:") for line in lines)
    assert stream_duration_s(record, "video") >= 2.0
    assert decode_media(record, with_audio=False).missing_codes() == []


def test_sigterm_while_connecting_to_a_silent_ingest_ends_within_2_s(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts (the kernel completes the handshake) and never says a word
    port = silent.getsockname()[1]
    record = tmp_path / "show.mkv"
    try:
        for scheme in ("rtmp", "rtmps"):
            proc, lines, live = start_stream("--url", f"{scheme}://127.0.0.1:{port}/live", "--no-key",
                                             "--record", str(record))
            try:
                deadline = time.monotonic() + 30  # importing and opening the encoders first
                while not any("video encoder" in line for line in lines) and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(0.5)  # now waiting on the ingest's answer
                assert proc.poll() is None and not live.is_set(), lines
                took_s = signal_and_time_exit(proc, signal.SIGTERM)
            finally:
                proc.kill()
            print(f"\nSIGTERM while connecting ({scheme}): exit {proc.returncode} after {took_s:.2f} s")
            assert took_s < 2.0 and proc.returncode == ExitCode.INTERRUPTED, lines
            assert not any("Traceback" in line for line in lines), lines
    finally:
        silent.close()


@pytest.mark.rtmp
def test_a_key_pasted_into_the_url_is_never_printed(tmp_path, nginx):
    key = "live_5551234_SeCrEtKeY"
    url = f"{nginx.url}/{key}"  # as platforms show it: rtmp://host/app/KEY
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--size", "320x180", "--url", url, "--no-key",
                                           "--duration", "1.5", "--journal", str(tmp_path / "j.jsonl")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    live = next(line for line in proc.stderr.splitlines() if line.startswith("live:"))
    assert key not in proc.stderr + proc.stdout and "/live/****" in live
    assert key not in (tmp_path / "j.jsonl").read_text()
    refused = subprocess.run(SELLER_STUDIO + ["stream", "--size", "320x180", "--no-key", "--duration", "1",
                                              "--url", f"rtmp://127.0.0.1:9/live/{key}"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == ExitCode.UNREACHABLE_HOST and key not in refused.stderr


def test_an_mp4_recording_is_mkv_while_live_and_mp4_at_the_end(tmp_path):
    target = tmp_path / "show.mp4"
    proc = subprocess.run(SELLER_STUDIO + ["stream", "--size", "320x180", "--record", str(target),
                                           "--duration", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "written from it at the end" in proc.stderr  # says why it is not writing the MP4 directly
    assert ffprobe(target)["format"]["format_name"].startswith("mov,mp4")
    assert abs(stream_duration_s(target, "video") - 2.0) < 0.1
    assert not (tmp_path / "show.recording.mkv").exists()
    assert f"recording: {target}" in proc.stderr
    assert os.path.getsize(target) > 0
