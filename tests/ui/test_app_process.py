"""`seller-studio --demo` as a new user runs it: a real process, its sandbox child, the platform link,
and a clean quit when the terminal sends Ctrl-C (SIGINT, to the whole process group) or the session
ends (SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from seller_studio.diagnostics.journal import read_journal
from tests.helpers import SELLER_STUDIO

pytestmark = pytest.mark.qt


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields after "(comm)": state, ppid, ...
            found.append(int(stat.parent.name))
    return found


def _journal(home: Path) -> list[dict]:
    entries: list[dict] = []
    for path in sorted(home.glob("data/logs/journal-*.jsonl")):
        entries += read_journal(path.read_text())
    return entries


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_starts_connects_and_quits_cleanly_on_a_signal(tmp_path, signum):
    env = {**os.environ, "SELLER_STUDIO_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([*SELLER_STUDIO, "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # its own group, as a terminal gives it
    try:
        deadline = time.monotonic() + 60
        while not any(e["kind"] == "platform_state" and e["name"] == "connected" for e in _journal(tmp_path)):
            assert proc.poll() is None, f"the demo exited early: {proc.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, "the demo never connected to its sandbox platform"
            time.sleep(0.2)
        sandbox = _children(proc.pid)
        assert sandbox, "no sandbox child process"
        os.killpg(proc.pid, signum)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in sandbox) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in sandbox), "the sandbox outlived the studio"
    quits = [e for e in _journal(tmp_path) if e["kind"] == "action" and e["name"] == "quit"]
    assert quits and quits[-1]["data"]["signal"] == signal.Signals(signum).name
    assert (tmp_path / "config" / "window.json").exists()  # the layout was saved on the way out
    assert not list(tmp_path.glob("data/logs/crash-*")), "a clean quit left a crash file"
