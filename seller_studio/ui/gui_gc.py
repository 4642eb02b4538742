"""Python's cyclic garbage collector runs on the GUI thread only.

The collector normally runs in whichever thread happens to allocate past its threshold: with the
encoder, outputs and preview scaler allocating all the time, that is usually a media thread. When a
garbage cycle holds a Qt object (a closed dialog, a lambda connected to a widget, an old window in
tests), collecting it there deletes the C++ object outside the GUI thread, and Qt crashes with a
segmentation fault at some later, unrelated moment. pyqtgraph's ``GarbageCollector`` answers this the
same way: turn the automatic collector off and collect from a timer on the GUI thread, with the
interpreter's own thresholds deciding which generation to collect.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# How often the GUI thread checks the allocation counts. A generation-0 pass with nothing to free
# takes microseconds; cyclic garbage waits at most this long.
CHECK_INTERVAL_MS = 500


class GuiThreadGarbageCollector(QObject):
    """Disables automatic collection while it lives; collects on a GUI-thread timer instead."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> int:
        """Collect the generations whose counts passed the thresholds; returns objects freed."""
        count0, count1, count2 = gc.get_count()
        if count0 <= self.threshold[0]:
            return 0
        generation = 0
        if count1 > self.threshold[1]:
            generation = 2 if count2 > self.threshold[2] else 1
        return gc.collect(generation)

    def stop(self) -> None:
        """Collect everything now (on this, the GUI thread) and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()


def collect_on_gui_thread(app: QObject) -> GuiThreadGarbageCollector:
    """Install the collector once for the application (make_app calls it)."""
    installed = getattr(app, "_gui_thread_gc", None)
    if installed is None:
        installed = GuiThreadGarbageCollector(app)
        app._gui_thread_gc = installed
    return installed
