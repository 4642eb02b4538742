"""Secrets never reach a log, a journal, a crash report or a support bundle.

A stream key, a platform token and a password are planted in the settings, the keyring, URLs, log
lines, an exception, a crash report, a journal and an old log written before redaction existed; the
bundle is then searched byte by byte, zipped and unzipped.
"""

from __future__ import annotations

import json
import logging
import sys
import zipfile
from urllib.parse import quote

from seller_studio.common import paths
from seller_studio.common.secrets import SecretStore, platform_token_name, stream_key_name
from seller_studio.diagnostics import logsetup
from seller_studio.diagnostics.bundle import build_bundle
from seller_studio.diagnostics.journal import Journal
from seller_studio.diagnostics.redact import REDACTOR, Redactor

STREAM_KEY = "live_8f3k2-SECRETSTREAMKEY-q9"
TOKEN = "tok-Zx81-SECRETPLATFORMTOKEN"
PASSWORD = "hunter2-SECRETPASSWORD!"
SECRETS = (STREAM_KEY, TOKEN, PASSWORD)


def forms(secret: str) -> list[bytes]:
    return [secret.encode(), quote(secret, safe="").encode()]


def assert_clean(data: bytes, where: str) -> None:
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in data, f"{secret!r} found in {where}"


def plant_settings() -> None:
    config = paths.ensure(paths.config_dir())
    (config / "studio.json").write_text(json.dumps({"active_profile": "Test"}))
    profile = {
        "name": "Test",
        "destination": {"kind": "custom", "url": f"rtmp://ingest.example.com/live/{STREAM_KEY}",
                        "platform_url": f"wss://platform.example.com/v1?token={TOKEN}"},
        "network": {"proxy_url": f"http://seller:{PASSWORD}@proxy.example.com:3128", "proxy_password": PASSWORD},
        "video": {"bitrate_kbps": 2500},
    }
    paths.ensure(config / "profiles")
    (config / "profiles" / "Test.json").write_text(json.dumps(profile))
    store = SecretStore()
    store.set(stream_key_name("Test:custom"), STREAM_KEY)
    store.set(platform_token_name("Test:custom"), TOKEN)


def test_shape_rules_without_knowing_the_secrets():
    r = Redactor()
    text = (f"rtmp://h:1935/live/{STREAM_KEY} srt://h:9000?streamid={STREAM_KEY}&latency=200 "
            f"wss://p/v1?token={TOKEN} password={PASSWORD} {{\"stream_key\": \"{STREAM_KEY}\"}} "
            f"https://u:{PASSWORD}@host/ Authorization: Bearer {TOKEN}")
    out = r.redact(text)
    assert_clean(out.encode(), "shape-redacted text")
    assert "rtmp://h:1935/live/****" in out and "latency=200" in out
    # Ordinary names that merely contain "key" are left alone.
    assert r.redact("keyframe_interval_s=2.0 hotkeys=N") == "keyframe_interval_s=2.0 hotkeys=N"


def test_bundle_contains_no_secret(tmp_path, file_keyring, session_logging):
    plant_settings()
    session = logsetup.setup_logging(command="test")
    log = logging.getLogger("seller_studio.test")
    # Known to this process (as the stream command registers them): masked at write time.
    REDACTOR.add(STREAM_KEY)
    log.info("connecting to rtmp://127.0.0.1:1935/live/%s", STREAM_KEY)
    log.info("platform at wss://p.example.com/v1?token=%s&x=1", TOKEN)
    log.info("proxy login password=%s", PASSWORD)
    try:
        raise RuntimeError(f"auth failed for {TOKEN} with {PASSWORD} on key {STREAM_KEY}")
    except RuntimeError:
        log.exception("platform login failed")
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        crash = logsetup.write_crash_report(session, exc_type, exc, tb, "test")
    # An old log from before redaction, and a journal with chat that quotes the secrets.
    (paths.log_dir() / "session-old.log").write_text(f"raw {STREAM_KEY} {TOKEN} {PASSWORD}\n")
    with Journal(paths.log_dir() / "journal-test.jsonl", command="test") as journal:
        journal.write("platform_in", "chat.message", seq=1, user="viewer", text=f"my key is {STREAM_KEY}, {TOKEN}")
        journal.action("go_live", url=f"rtmp://h/live/{STREAM_KEY}", password=PASSWORD)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert session.log_path is not None and crash is not None and crash.exists()
    log_bytes = session.log_path.read_bytes()
    assert STREAM_KEY.encode() not in log_bytes  # registered: masked even inside the exception text
    assert b"token=****" in log_bytes and b"password=****" in log_bytes  # shapes: masked unregistered
    REDACTOR.clear()  # the bundle command runs in a new process that knows nothing

    out = tmp_path / "bundle.zip"
    result = build_bundle(out)
    assert result.secrets_checked >= 3
    raw = out.read_bytes()
    assert_clean(raw, "the zip")
    extracted = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        zf.extractall(extracted)
        for name in names:
            assert_clean(zf.read(name), name)
    for path in extracted.rglob("*"):
        if path.is_file():
            assert_clean(path.read_bytes(), str(path))
    # Everything support needs is there.
    assert any(n.startswith("logs/session-") for n in names)
    assert any(n.startswith("logs/crash-") for n in names)
    assert "logs/journal-test.jsonl" in names and "settings/profiles/Test.json" in names
    assert {"doctor.json", "system.json", "manifest.json"} <= set(names)
    settings = json.loads((extracted / "settings/profiles/Test.json").read_text())
    assert settings["network"]["proxy_password"] == "****"
    assert settings["destination"]["url"].startswith("rtmp://ingest.example.com/live/")
    crash_text = next(extracted.glob("logs/crash-*.txt")).read_text()
    assert "RuntimeError: auth failed for ****" in crash_text


def test_uncaught_exception_leaves_a_redacted_crash_report(tmp_path):
    import os
    import subprocess

    code = ("import os, sys\n"
            "from seller_studio.diagnostics.logsetup import setup_logging\n"
            "from seller_studio.diagnostics.redact import register_secret\n"
            "setup_logging(command='crash-test')\n"
            "register_secret(os.environ['SS_TEST_KEY'])\n"
            "raise ValueError('ingest refused key ' + os.environ['SS_TEST_KEY'])\n")
    env = {**os.environ, "SS_TEST_KEY": STREAM_KEY}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30)
    assert proc.returncode == 1
    crashes = list(paths.log_dir().glob("crash-*.txt"))
    assert len(crashes) == 1, list(paths.log_dir().iterdir())
    text = crashes[0].read_text()
    assert "ValueError: ingest refused key ****" in text and STREAM_KEY not in text
    assert not list(paths.log_dir().glob("*.fault.txt"))  # nothing hard-crashed: the empty dump is gone
