"""A tiny thread-safe event emitter for the core (no Qt).

Core objects emit events from whatever thread they run on. Listeners must be quick and must not
touch widgets: the Qt adapter (seller_studio.ui.bridge) re-emits them as queued signals and the
asyncio adapter uses ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


class EventEmitter:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event_name, payload)`` for every event. Returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, name: str, **payload: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(name, payload)
            except Exception:  # a broken listener must not break the media thread
                log.exception("listener failed on event %s", name)
