"""The one place where core threads cross into Qt.

Core objects emit events on whatever thread they run (compositor, encoder, outputs, stats). The
bridge re-emits them as Qt signals; widgets connect to those signals and, because the bridge lives
on the GUI thread, Qt delivers them queued on the GUI thread. Worker threads never touch a widget.
``post(fn)`` runs a callable on the GUI thread (the end of a worker's job).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from seller_studio.common.events import EventEmitter


class CoreBridge(QObject):
    event = Signal(str, dict)  # every core event: (name, payload)
    stats = Signal(dict)
    output_state = Signal(dict)
    source_state = Signal(dict)
    mic_state = Signal(dict)
    scene_switched = Signal(dict)
    bitrate_changed = Signal(dict)
    camera_notice = Signal(dict)  # a camera gives less than asked: one sentence with the fix
    canvas_stats = Signal(dict)  # the vertical canvas's stats tick (its own session)
    _call = Signal(object)

    _NAMED = ("stats", "output_state", "source_state", "mic_state", "scene_switched", "bitrate_changed",
              "camera_notice", "canvas_stats")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribers: list[Callable[[], None]] = []
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def attach(self, emitter: EventEmitter) -> Callable[[], None]:
        """Forward every event of ``emitter``; returns the function that stops forwarding."""
        unsubscribe = emitter.subscribe(self._forward)
        self._unsubscribers.append(unsubscribe)
        return unsubscribe

    def detach_all(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the GUI thread, soon (safe to call from any thread)."""
        self._call.emit(fn)

    def _forward(self, name: str, payload: dict[str, Any]) -> None:
        # Runs on the emitting (core) thread: only signal emission here, no widget access.
        self.event.emit(name, payload)
        if name in self._NAMED:
            getattr(self, name).emit(payload)

    @staticmethod
    def _run(fn: Callable[[], Any]) -> None:
        fn()
