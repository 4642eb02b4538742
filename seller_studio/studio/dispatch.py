"""Where the studio controller's code runs: one owner thread, plus short-lived workers for waits.

The controller's state (live state, outputs, the collection) is only touched on its owner thread,
so it needs no locks. Anything that waits on media or the network runs on a worker thread through
``run``, and its result comes back to the owner thread; core events (on capture, encoder or output
threads) come back through ``post``. In the window the owner thread is the GUI thread
(``ui/workers.py`` implements this with the Qt bridge); without Qt, ``OwnerThread`` is a plain
thread with a queue (tests, tools).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from seller_studio.common.errors import UserError
from seller_studio.common.events import EventEmitter

log = logging.getLogger(__name__)

T = TypeVar("T")


class Dispatcher(Protocol):
    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the owner thread, soon (safe from any thread)."""

    def run(self, name: str, fn: Callable[[], T], on_done: Callable[[T], None],
            on_error: Callable[[BaseException], None]) -> threading.Thread:
        """Run ``fn`` on a named worker thread; ``on_done(result)`` or ``on_error(exc)`` runs on the
        owner thread."""

    def call_later(self, delay_s: float, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the owner thread after ``delay_s`` seconds (the Go Live countdown)."""

    def attach(self, emitter: EventEmitter, handler: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """Deliver ``emitter``'s core events to ``handler(name, payload)`` on the owner thread;
        returns the function that stops it."""


def start_worker(name: str, fn: Callable[[], T], on_done: Callable[[T], None],
                 on_error: Callable[[BaseException], None], post: Callable[[Callable[[], Any]], None],
                 ) -> threading.Thread:
    """The one worker pattern: ``fn`` on a thread named ``ui-NAME``; the outcome is posted back."""

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the seller, never lost
            if not isinstance(exc, UserError):
                log.exception("%s failed", name)
            post(lambda e=exc: on_error(e))
            return
        post(lambda: on_done(result))

    thread = threading.Thread(target=target, name=f"ui-{name}", daemon=True)
    thread.start()
    return thread


class OwnerThread:
    """A ``Dispatcher`` without Qt: one thread runs every posted call in order."""

    def __init__(self, name: str = "studio-owner") -> None:
        self._queue: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._timers: list[threading.Timer] = []
        self._thread.start()

    def post(self, fn: Callable[[], Any]) -> None:
        self._queue.put(fn)

    def run(self, name: str, fn: Callable[[], T], on_done: Callable[[T], None],
            on_error: Callable[[BaseException], None]) -> threading.Thread:
        return start_worker(name, fn, on_done, on_error, self.post)

    def call_later(self, delay_s: float, fn: Callable[[], Any]) -> None:
        timer = threading.Timer(delay_s, self.post, args=(fn,))
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def attach(self, emitter: EventEmitter, handler: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        return emitter.subscribe(lambda name, payload: self.post(lambda: handler(name, payload)))

    def call(self, fn: Callable[[], T], timeout_s: float = 30.0) -> T:
        """Run ``fn`` on the owner thread and wait for its result (from any other thread)."""
        if threading.current_thread() is self._thread:
            return fn()
        future: Future[T] = Future()

        def wrapped() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                future.set_exception(exc)

        self.post(wrapped)
        return future.result(timeout_s)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(5)

    def _loop(self) -> None:
        while True:
            fn = self._queue.get()
            if fn is None:
                return
            try:
                fn()
            except Exception:  # one failing call must not stop the owner thread
                log.exception("owner-thread call failed")
