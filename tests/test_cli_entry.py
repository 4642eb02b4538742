"""The console entry leaves at once with main's exit code, whatever thread a stop had to abandon."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

SCRIPT = textwrap.dedent("""
    import threading, time
    import seller_studio.cli.main as cli

    def main_that_abandons_a_thread(argv=None):
        # A stop gave up on a thread still inside a long call (an encoder on a starved machine).
        threading.Thread(target=time.sleep, args=(60,), name="stuck-encoder").start()
        return 7

    cli.main = main_that_abandons_a_thread
    cli.entry()
""")


def test_entry_exits_with_the_code_without_waiting_for_an_abandoned_thread():
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30)
    took_s = time.monotonic() - started
    assert proc.returncode == 7, proc.stderr
    assert took_s < 15, took_s  # interpreter shutdown would have waited the thread's 60 s out
    assert "Traceback" not in proc.stderr


def test_entry_without_leftover_threads_is_a_plain_exit():
    proc = subprocess.run([sys.executable, "-m", "seller_studio", "--version"], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0 and proc.stdout.startswith("seller-studio ")


def test_no_key_means_no_key_even_with_one_in_the_keyring(file_keyring):
    """``stream --no-key`` pushes without a key: it neither sends the key the keyring holds for the
    destination nor opens the keyring at all."""
    import keyring

    from seller_studio.cli.main import build_parser
    from seller_studio.cli.stream_cmd import show_destinations
    from seller_studio.common.secrets import SecretStore, stream_key_name

    assert SecretStore().set(stream_key_name("custom"), "live_123_SECRET")
    argv = ["stream", "--url", "rtmp://127.0.0.1:1935/live", "--no-key"]
    args = build_parser(argv).parse_args(argv)
    (destination,) = show_destinations(args, "")
    assert destination.key_ref is None
    assert destination.stream_key() == ""
    # Without --no-key the same destination does read it (the control).
    argv = ["stream", "--url", "rtmp://127.0.0.1:1935/live"]
    args = build_parser(argv).parse_args(argv)
    (destination,) = show_destinations(args, "")
    assert destination.stream_key() == "live_123_SECRET"
    assert keyring.get_password("seller-studio", stream_key_name("custom")) == "live_123_SECRET"


def test_version_comes_from_one_place():
    """pyproject.toml reads the version from seller_studio/_version.py; the app shows that one."""
    import tomllib
    from pathlib import Path

    import seller_studio

    root = Path(seller_studio.__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "seller_studio._version.__version__"
    proc = subprocess.run([sys.executable, "-m", "seller_studio", "--version"], capture_output=True, text=True,
                          timeout=30)
    assert proc.stdout.strip() == f"seller-studio {seller_studio.__version__}"
