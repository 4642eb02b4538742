"""The sandbox platform in a child process, for the window's demo mode.

The in-process ``start_sandbox()`` cannot receive a stream that the same process sends: PyAV keeps
the GIL while its RTMP muxer waits for the server, and the sandbox's RTMP gate needs the GIL to
answer, so both stop for good. A child process (``seller-studio sandbox``) has its own GIL, and
keeps the ingest's decoding off the studio's two cores' GUI thread as a bonus.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from seller_studio.common.errors import UserError
from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)

_FIELDS = {"Ingest URL:": "ingest_url", "Stream key:": "stream_key", "WHIP URL:": "whip_url",
           "Platform URL:": "ws_url", "Token:": "token"}


@dataclass
class SandboxProcess:
    ws_url: str = ""
    token: str = field(default="", repr=False)
    ingest_url: str = ""
    stream_key: str = field(default="", repr=False)
    whip_url: str = ""  # the WHIP ingest (the same key, as a Bearer token); "" without aiortc
    protocol: str = "rtmp"  # how the demo sends to it: rtmp, or whip (`--demo --demo-ingest whip`)
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def publish_url(self) -> str:
        return f"{self.ingest_url}/{self.stream_key}"

    def send_fault(self, command: str) -> None:
        """Support's --simulate: tell the child to drop connections or delay its answers
        (``disconnect``, ``ack-delay-ms N``). Only for a child started with ``fault_control``."""
        proc = self.process
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise RuntimeError(tr_noop("the sandbox platform is not running with fault control"))
        proc.stdin.write(command + "\n")
        proc.stdin.flush()

    def stop(self, timeout_s: float = 5.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout_s)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """Linux: the sandbox ends when the studio dies, even if it crashes (no orphan ports). The signal
    follows the thread that started the child: start the sandbox from the main thread."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_sandbox_process(*, chat_per_min: float = 20.0, timeout_s: float = 20.0,
                          extra_args: list[str] | None = None, settle_s: float = 2.0,
                          fault_control: bool = False, protocol: str = "rtmp") -> SandboxProcess:
    """Start ``seller-studio sandbox`` on free ports and read the URLs, key and token it prints.
    ``fault_control``: the child takes platform faults on its stdin (see ``send_fault``).
    ``protocol``: which of its ingests the demo sends to (rtmp or whip)."""
    cmd = [sys.executable, "-m", "seller_studio", "sandbox", "--port", "0", "--rtmp-port", "0", "--whip-port", "0",
           "--chat-rate", str(chat_per_min), *(["--fault-control"] if fault_control else []), *(extra_args or [])]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if fault_control else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, bufsize=1, preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                            # Its own session: Ctrl-C in the studio's terminal is the studio's to handle
                            # (it stops the sandbox as it quits), not a second, earlier death here.
                            start_new_session=sys.platform != "win32")
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, name="sandbox-stdout", daemon=True).start()
    sandbox = SandboxProcess(process=proc, protocol=protocol)
    found: set[str] = set()
    try:
        while len(found) < len(_FIELDS):
            line = lines.get(timeout=timeout_s)
            if line is None:
                raise UserError(tr_noop('the sandbox platform exited at start (code {value})').format(value=proc.wait()))
            text = line.strip()
            for prefix, name in _FIELDS.items():
                if text.startswith(prefix):
                    value = text[len(prefix):].strip()
                    setattr(sandbox, name, "" if value.startswith("(") else value)
                    found.add(name)
    except queue.Empty:
        sandbox.stop()
        raise UserError(tr_noop('the sandbox platform did not start within {timeout_s:.0f} s').format(timeout_s=timeout_s)) from None
    except BaseException:
        sandbox.stop()
        raise
    if protocol == "whip" and not sandbox.whip_url:
        sandbox.stop()
        raise UserError(tr_noop("the sandbox has no WHIP ingest here: the aiortc package is not installed"))
    # The ingest's listener thread starts just after the URLs are printed; a publisher arriving
    # before it is refused ("End of file"). Give it a moment (the platform side should say "ready").
    time.sleep(settle_s)
    return sandbox
