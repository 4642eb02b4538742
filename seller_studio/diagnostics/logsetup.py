"""Structured, rotating, per-session logs with a head, redaction on every handler, and crash reports.

Each run of the app writes ``log_dir()/session-YYYYmmdd-HHMMSS-PID.log`` as JSON lines (one object
per record: ts, level, logger, thread, msg, exc). The first records are the session head: version,
OS, Python, devices, and later the encoder chosen and its settings (``log_settings``). A file that
passes ``MAX_BYTES`` rotates to ``.1``, ``.2``; only the newest ``KEEP_SESSIONS`` sessions are kept.

Uncaught exceptions (main thread or any other) write ``crash-<session>.txt`` next to the log; a hard
crash (segfault in FFmpeg or PortAudio) leaves faulthandler's dump in ``crash-<session>.fault.txt``.
"""

from __future__ import annotations

import atexit
import faulthandler
import json
import logging
import logging.handlers
import os
import platform
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from seller_studio import __version__
from seller_studio.common import paths
from seller_studio.diagnostics.redact import REDACTOR, RedactingFilter
from seller_studio.i18n import tr

MAX_BYTES = 5_000_000
BACKUP_COUNT = 3
KEEP_SESSIONS = 20
HEAD_LOGGER = "seller_studio.session"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line; extra fields given as ``extra={"data": {...}}`` are kept."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "thread": record.threadName,
            "msg": record.getMessage(),
        }
        data = getattr(record, "data", None)
        if data is not None:
            entry["data"] = REDACTOR.redact_obj(data)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc"] = REDACTOR.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class SessionLog:
    """What ``setup_logging`` set up: paths of this session's files, for the crash hooks and bundles."""

    def __init__(self, session_id: str, log_path: Path | None) -> None:
        self.session_id = session_id
        self.log_path = log_path
        self.crash_path = log_path.with_name(f"crash-{session_id}.txt") if log_path else None
        self.fault_path = log_path.with_name(f"crash-{session_id}.fault.txt") if log_path else None
        self._fault_file: IO[str] | None = None
        self.handlers: list[logging.Handler] = []


_current: SessionLog | None = None


def current_session() -> SessionLog | None:
    return _current


def new_session_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def setup_logging(verbose: bool = False, command: str | None = None, to_file: bool = True,
                  stream: IO[str] | None = None) -> SessionLog:
    """Configure the root logger: human lines on stderr, JSON lines in the session file."""
    global _current
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_seller_studio", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)
    session_id = new_session_id()
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # The session head is for the file; on the terminal it would bury the command's own output.
    console.addFilter(lambda record: record.name != HEAD_LOGGER)
    handlers: list[logging.Handler] = [console]
    log_path = None
    if to_file:
        try:
            directory = paths.ensure(paths.log_dir())
            log_path = directory / f"session-{session_id}.log"
            file_handler = logging.handlers.RotatingFileHandler(log_path, maxBytes=MAX_BYTES,
                                                                backupCount=BACKUP_COUNT, encoding="utf-8")
            file_handler.setLevel(logging.DEBUG)
            file_handler.setFormatter(JsonLineFormatter())
            handlers.append(file_handler)
            _prune_old_sessions(directory)
        except OSError as exc:  # a read-only home must not stop the app; say so once on stderr
            print(tr("seller-studio: warning: cannot write logs ({error})").format(error=exc.strerror or exc), file=sys.stderr)
            log_path = None
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler._seller_studio = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Third-party chatter at DEBUG would drown the session log.
    for noisy in ("websockets", "asyncio", "PIL", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    session = SessionLog(session_id, log_path)
    session.handlers = handlers
    _current = session
    install_crash_handlers(session)
    logging.getLogger(HEAD_LOGGER).info("session start", extra={"data": session_head(command)})
    return session


def session_head(command: str | None) -> dict[str, Any]:
    return {
        "version": __version__,
        "command": command,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "pid": os.getpid(),
    }


def log_devices(microphones: bool = True) -> dict[str, Any]:
    """Cameras and microphones into the head. Listing microphones loads PortAudio, so commands that
    use no microphone pass ``microphones=False``."""
    devices: dict[str, Any] = {}
    try:
        from seller_studio.media.sources.camera import list_cameras

        devices["cameras"] = list_cameras()
    except Exception as exc:
        devices["cameras"] = f"unavailable: {exc}"
    if microphones:
        try:
            from seller_studio.media.audio.microphone import list_microphones

            devices["microphones"] = list_microphones()
        except Exception as exc:
            devices["microphones"] = f"unavailable: {exc}"
    logging.getLogger(HEAD_LOGGER).info("devices", extra={"data": devices})
    return devices


def log_settings(what: str, settings: dict[str, Any]) -> None:
    """Encoder chosen, video/audio settings, outputs: secrets are masked by the formatter."""
    logging.getLogger(HEAD_LOGGER).info(what, extra={"data": settings})


# -- crashes ---------------------------------------------------------------------------------------
def install_crash_handlers(session: SessionLog) -> None:
    if session.crash_path is None or session.fault_path is None:
        return
    previous_hook = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(exc_type, KeyboardInterrupt):
            write_crash_report(session, exc_type, exc, tb, "main")
        previous_hook(exc_type, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            write_crash_report(session, args.exc_type, args.exc_value, args.exc_traceback,
                               args.thread.name if args.thread else "?")

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    try:
        # faulthandler writes from a signal handler: the file must be open before the crash.
        session._fault_file = open(session.fault_path, "w", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(session._fault_file, all_threads=True)
        atexit.register(finish_session)
    except OSError:
        session._fault_file = None


def write_crash_report(session: SessionLog, exc_type: type[BaseException], exc: BaseException | None,
                       tb: TracebackType | None, thread: str) -> Path | None:
    if session.crash_path is None:
        return None
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    head = json.dumps(session_head(None))
    report = (f"Seller Studio crash report\nsession: {session.session_id}\nthread: {thread}\n"
              f"time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}\nhead: {head}\n\n{text}")
    try:
        with open(session.crash_path, "a", encoding="utf-8") as f:
            f.write(REDACTOR.redact(report) + "\n")
    except OSError:
        return None
    logging.getLogger("seller_studio.crash").critical("uncaught exception in %s: %s", thread,
                                                        REDACTOR.redact(f"{exc_type.__name__}: {exc}"))
    return session.crash_path


def finish_session() -> None:
    """At a clean exit: close faulthandler's file and drop it when nothing crashed."""
    session = _current
    if session is None or session._fault_file is None:
        return
    try:
        faulthandler.disable()
        session._fault_file.close()
        if session.fault_path and session.fault_path.exists() and session.fault_path.stat().st_size == 0:
            session.fault_path.unlink()
    except OSError:
        pass
    session._fault_file = None


def _prune_old_sessions(directory: Path) -> None:
    """Keep the newest KEEP_SESSIONS sessions: each one's log (and rotations), journal and crash files
    go together, so a seller's disk does not fill with a journal per show for years."""
    logs = sorted(directory.glob("session-*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[:-KEEP_SESSIONS]:
        session_id = old.name[len("session-"):-len(".log")]
        for pattern in (f"session-{session_id}.log*", f"journal-{session_id}.jsonl", f"crash-{session_id}.*"):
            for path in directory.glob(pattern):
                path.unlink(missing_ok=True)
