"""Supervised media threads: an uncaught exception never kills a part of the show silently.

Every long-running media thread (the session's encoder and stats threads, each output's thread,
the compositor's clock) catches what escapes its body, reports it here and restarts its part: the
encoder is re-opened and starts with a keyframe, a stream output reconnects, a recording skips to
the next keyframe. The report goes to the log, to the crash report (through ``threading.excepthook``,
which the diagnostics package points at the crash-report writer) and, as ``thread_crashed`` /
``thread_restarted`` events, to the journal and the health verdict.

``--simulate thread-crash@T:PART`` arms a ``CrashInjector``; the thread calls ``check()`` at a safe
point of its loop and raises ``SimulatedCrash`` there, inside the real thread, to prove the above.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Parts that can be crashed on purpose (``thread-crash@T:PART``) and their names in messages.
PART_NAMES = {"encoder": "video/audio encoder", "output": "stream output", "recording": "recording",
              "stats": "stats"}


class SimulatedCrash(RuntimeError):
    """Raised inside a media thread by ``--simulate thread-crash``."""


@dataclass(frozen=True)
class ThreadCrash:
    """One uncaught exception in a media thread, and how long its part took to come back."""

    part: str  # "encoder", "output", "recording", "stats", "compositor"
    thread: str
    error: str  # "RuntimeError: deque mutated during iteration"
    at_s: float  # time.monotonic() of the crash
    restarted_in_ms: float | None = None  # None: not back yet

    def to_dict(self) -> dict[str, object]:
        return {"part": self.part, "thread": self.thread, "error": self.error,
                "restarted_in_ms": self.restarted_in_ms}


def report_crash(part: str, exc: BaseException) -> ThreadCrash:
    """Log the exception and write the crash report (the installed thread excepthook); never raises."""
    thread = threading.current_thread()
    crash = ThreadCrash(part, thread.name, f"{type(exc).__name__}: {exc}", time.monotonic())
    log.error("the %s thread (%s) crashed: %s; restarting it", part, thread.name, crash.error)
    try:
        threading.excepthook(threading.ExceptHookArgs((type(exc), exc, exc.__traceback__, thread)))
    except Exception:  # a broken hook must not stop the restart
        log.exception("crash report for the %s thread failed", part)
    return crash


def restarted(crash: ThreadCrash) -> ThreadCrash:
    """The same crash with the time it took its part to come back."""
    ms = round(1000 * (time.monotonic() - crash.at_s), 1)
    log.warning("the %s thread is back %.0f ms after its crash", crash.part, ms)
    return ThreadCrash(crash.part, crash.thread, crash.error, crash.at_s, ms)


class CrashInjector:
    """Armed by the fault schedule (any thread); the owning thread calls ``check`` in its loop."""

    def __init__(self, part: str) -> None:
        self.part = part
        self._armed = threading.Event()

    def arm(self) -> None:
        self._armed.set()

    def check(self) -> None:
        if self._armed.is_set():
            self._armed.clear()
            raise SimulatedCrash(f"simulated crash of the {self.part} thread (--simulate thread-crash)")
