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
