"""Doctor on a machine without a camera, without PortAudio and without a keyring backend: each a
clear failure with a fix, never a crash; the ingest probe against a real loopback RTMP server."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.doctor import FAIL, PASS, check_ingest
from seller_studio.diagnostics.netem_proxy import NetemProxyProcess
from tests.helpers import SELLER_STUDIO, free_port


def doctor_json(*extra: str, env: dict | None = None, wrap: list[str] | None = None) -> tuple[int, dict, str]:
    cmd = SELLER_STUDIO + ["doctor", "--json", *extra]
    if wrap:
        cmd = wrap[:-1] + [wrap[-1] + " " + " ".join(cmd)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def by_name(report: dict) -> dict:
    return {c["name"]: c for c in report["checks"]}


def test_no_camera_no_keyring_is_a_clear_failure_with_a_fix():
    code, report, _ = doctor_json(env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    checks = by_name(report)
    assert code == ExitCode.DOCTOR_FOUND_FAILURES and report["status"] == FAIL
    assert checks["cameras"]["status"] == FAIL and "no camera" in checks["cameras"]["detail"]
    assert "Plug in" in checks["cameras"]["fix"]
    assert checks["keyring"]["status"] == FAIL and "keyring" in checks["keyring"]["fix"].lower()
    assert checks["video encoders"]["status"] in ("pass", "warn")  # x264 really opens here
    assert checks["disk"]["status"] == PASS


def test_without_portaudio_library():
    lib = subprocess.run(["sh", "-c", "readlink -f $(ldconfig -p | awk '/libportaudio.so.2 /{print $NF; exit}')"],
                         capture_output=True, text=True).stdout.strip()
    assert lib, "libportaudio2 is not installed"
    code, report, _ = doctor_json(wrap=["unshare", "-m", "sh", "-c", f"mount --bind /dev/null {lib} && exec"])
    checks = by_name(report)
    assert code == ExitCode.DOCTOR_FOUND_FAILURES
    assert checks["audio library"]["status"] == FAIL and "PortAudio library is missing" in checks["audio library"]["detail"]
    assert "libportaudio2" in checks["audio library"]["fix"]
    assert checks["microphones"]["status"] == FAIL and checks["microphones"]["fix"]


def test_text_report_lines():
    proc = subprocess.run(SELLER_STUDIO + ["doctor", "--url", f"rtmp://127.0.0.1:{free_port()}/live"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == ExitCode.DOCTOR_FOUND_FAILURES
    assert "[FAIL] cameras: no camera found" in proc.stdout
    assert "[FAIL] ingest: cannot reach 127.0.0.1" in proc.stdout and "fix: Check the internet" in proc.stdout


@pytest.mark.rtmp
def test_ingest_probe_measures_the_uplink(nginx):
    fast = check_ingest(nginx.url + "/secret-key-123", 2500, probe_s=1.0)
    assert fast.status == PASS, fast.line()
    assert "secret-key-123" not in fast.detail
    assert fast.data["upload_kbps"] > 20_000
    relay = NetemProxyProcess("127.0.0.1", nginx.port)
    try:
        relay.set_rate_kbps(1500)
        slow = check_ingest(f"rtmp://127.0.0.1:{relay.port}/live", 2500, probe_s=2.0)
    finally:
        relay.close()
    print(f"probe: loopback {fast.data['upload_kbps']} kbit/s, relay capped at 1500 -> {slow.data['upload_kbps']} kbit/s")
    assert slow.status == FAIL and "Lower the video bitrate" in slow.fix
    assert 900 < slow.data["upload_kbps"] < 2300


def test_a_plaintext_keyring_is_a_warning_with_a_fix(tmp_path):
    code, report, _ = doctor_json(env={"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
                                       "XDG_DATA_HOME": str(tmp_path)})
    keyring_check = by_name(report)["keyring"]
    assert keyring_check["status"] == "warn", keyring_check  # it was "pass"
    assert "plain text" in keyring_check["detail"] and "PlaintextKeyring" in keyring_check["detail"]
    assert "system keyring" in keyring_check["fix"]
