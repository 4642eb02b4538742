"""The flight recorder: one JSON-lines journal per session, for support to replay what the seller saw.

Each line is ``{"t": s since start, "wall": unix s, "kind": ..., "name": ..., "data": {...}}``:
- ``head``         version, command, settings (secrets masked);
- ``action``       the seller's actions: scene_switch, go_live, end_show, next_item, start_auction, ...;
- ``stats``        the 1-second stats bus of the live session;
- ``media``        output/source/mic state, bitrate changes, scene switches, session start/stop;
- ``platform_in``  platform events (type, seq, data); ``platform_out`` commands sent (type, id, data)
  and ``platform_ack`` their answers (ok or error code, latency); ``platform_state`` connection state;
- ``fault``        injected faults starting and ending (``--simulate``).

Lines are written and flushed one by one under a lock, from whatever thread the event arrives on,
so a crash loses at most the line being written. Every line passes the redactor.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from seller_studio import __version__
from seller_studio.common import paths
from seller_studio.diagnostics.redact import REDACTOR

log = logging.getLogger(__name__)

MEDIA_EVENTS = {"output_state", "source_state", "mic_state", "bitrate_changed", "scene_switched", "camera_notice",
                "session_started", "session_stopped", "thread_crashed", "thread_restarted"}


def default_journal_path(session_id: str | None = None) -> Path:
    stamp = session_id or f"{time.strftime('%Y%m%d-%H%M%S')}"
    return paths.ensure(paths.log_dir()) / f"journal-{stamp}.jsonl"


class Journal:
    def __init__(self, path: Path, command: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()
        self._clock = clock
        self._t0 = clock()
        self._unsubscribers: list[Callable[[], None]] = []
        self.lines_written = 0
        self.write("head", "journal", version=__version__, command=command)

    # -- writing -------------------------------------------------------------------------------
    def write(self, kind: str, name: str, /, **data: Any) -> None:
        entry = {"t": round(self._clock() - self._t0, 3), "wall": round(time.time(), 3), "kind": kind,
                 "name": name, "data": REDACTOR.redact_obj(data)}
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock:
            if self._file is None:
                return
            self._file.write(line + "\n")
            self._file.flush()
            self.lines_written += 1

    def action(self, name: str, /, **data: Any) -> None:
        """A seller action (scene switch, go live, next item, start auction...)."""
        self.write("action", name, **data)

    def fault(self, name: str, phase: str, /, **data: Any) -> None:
        self.write("fault", name, phase=phase, **data)

    def close(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sources ---------------------------------------------------------------------------------
    def attach_studio(self, studio: Any) -> None:
        """Subscribe to a Studio's (or a LiveSession's) EventEmitter: stats and media events."""
        self._unsubscribers.append(studio.events.subscribe(self._on_media_event))

    def _on_media_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "stats":
            self.write("stats", "stats", **payload)
        elif name == "canvas_stats":  # the vertical canvas's session: a kind of its own, so "stats" readers see one canvas
            self.write("canvas_stats", "stats", **payload)
        elif name in MEDIA_EVENTS:
            self.write("media", name, **payload)

    def attach_platform(self, client: Any) -> None:
        """Record a PlatformClient's events in, commands out with their answers, and its connection state."""

        def on_event(event: Any) -> None:
            self.write("platform_in", event.TYPE, seq=event.seq, **event.to_data())

        # replay: the window attaches after the first connect, when the platform's backlog was already
        # delivered; the flight recorder should hold it (sales made while the studio was closed).
        try:
            self._unsubscribers.append(client.subscribe(on_event, replay=True))
        except TypeError:  # a client without replay
            self._unsubscribers.append(client.subscribe(on_event))
        self._unsubscribers.append(client.status.subscribe(
            lambda name, payload: self.write("platform_state", str(payload.get("state", name)), **payload)))
        # The state it is already in (usually "connected": the window attaches after the first connect).
        state = getattr(client, "state", None)
        if state is not None:
            self.write("platform_state", str(getattr(state, "value", state)), on_attach=True)
        # PlatformClient has no hook for outgoing commands: wrap this instance's command() instead.
        original = client.command
        journal = self

        @functools.wraps(original)
        async def command(mtype: str, data: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
            started = time.monotonic()
            journal.write("platform_out", mtype, **(data or {}))
            try:
                result = await original(mtype, data, **kwargs)
            except Exception as exc:
                journal.write("platform_ack", mtype, ok=False, code=getattr(exc, "code", type(exc).__name__),
                              latency_ms=round(1000 * (time.monotonic() - started), 1))
                raise
            journal.write("platform_ack", mtype, ok=True, latency_ms=round(1000 * (time.monotonic() - started), 1),
                          result=result)
            return result

        client.command = command
        self._unsubscribers.append(lambda: setattr(client, "command", original))


def read_journal(lines: list[str] | str) -> list[dict[str, Any]]:
    """Parse journal text; a torn last line (the app crashed mid-write) is skipped, not fatal."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("journal line %d is not JSON; skipped", number)
            continue
        if isinstance(entry, dict) and "kind" in entry and "t" in entry:
            entries.append(entry)
    return entries
