"""The one way the window runs work off the GUI thread, and the studio controller's dispatcher.

``Workers.run(name, fn, on_done, on_error)`` runs ``fn`` on a thread named ``ui-NAME``; its result
or exception comes back on the GUI thread through the bridge (``ui/bridge.py``, the one place
where threads cross into Qt). ``Workers`` is also the ``studio.dispatch.Dispatcher`` of the studio
controller: its owner thread is the GUI thread. A worker never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer

from seller_studio.common.events import EventEmitter
from seller_studio.studio.dispatch import start_worker
from seller_studio.ui.bridge import CoreBridge

T = TypeVar("T")

# Core events the studio controller handles; the bridge's named signals carry them.
_CORE_EVENTS = ("stats", "output_state", "source_state", "mic_state", "scene_switched", "camera_notice",
                "canvas_stats")


class Workers:
    def __init__(self, bridge: CoreBridge) -> None:
        self.bridge = bridge
        self._handlers: list[Callable[[str, dict[str, Any]], None]] = []

    def post(self, fn: Callable[[], Any]) -> None:
        self.bridge.post(fn)

    def run(self, name: str, fn: Callable[[], T], on_done: Callable[[T], None],
            on_error: Callable[[BaseException], None]) -> threading.Thread:
        return start_worker(name, fn, on_done, on_error, self.bridge.post)

    def call_later(self, delay_s: float, fn: Callable[[], Any]) -> None:
        QTimer.singleShot(max(0, round(delay_s * 1000)), self.bridge, fn)

    def attach(self, emitter: EventEmitter, handler: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """Core events arrive as the bridge's queued signals (tests may emit those signals too)."""
        if handler not in self._handlers:
            self._handlers.append(handler)
            for name in _CORE_EVENTS:
                getattr(self.bridge, name).connect(lambda payload, name=name: handler(name, payload))
        return self.bridge.attach(emitter)


def run_in_worker(parent: QObject | CoreBridge, name: str, fn: Callable[[], T], on_done: Callable[[T], None],
                  on_error: Callable[[BaseException], None]) -> threading.Thread:
    """``Workers.run`` for a widget without a ``Workers`` of its own (dialogs, the wizard): the result
    comes back through ``parent``'s bridge (made on first use)."""
    bridge = parent if isinstance(parent, CoreBridge) else _bridge_of(parent)
    return start_worker(name, fn, on_done, on_error, bridge.post)


def _bridge_of(parent: QObject) -> CoreBridge:
    bridge = parent.findChild(CoreBridge, "workersBridge", Qt.FindChildOption.FindDirectChildrenOnly)
    if bridge is None:
        bridge = CoreBridge(parent)
        bridge.setObjectName("workersBridge")
    return bridge
