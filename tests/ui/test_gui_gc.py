"""Garbage cycles are freed on the GUI thread, never on a media thread (ui/gui_gc.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from seller_studio.ui.gui_gc import GuiThreadGarbageCollector

pytestmark = pytest.mark.qt


class Cycle:
    """A garbage cycle that records which thread freed it."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_on.append(threading.current_thread().name)


def churn_in_a_worker() -> list:
    """Allocate like a media thread does, past generation 0's threshold, keeping what it made."""
    kept: list = []

    def work() -> None:
        kept.extend([] for _ in range(gc.get_threshold()[0] * 3))

    worker = threading.Thread(target=work, name="encoder-like")
    worker.start()
    worker.join()
    return kept


def test_cycles_are_freed_on_the_gui_thread_not_on_a_busy_worker(qtbot, qapp):
    collector = GuiThreadGarbageCollector(qapp, interval_ms=20)
    try:
        assert not gc.isenabled()
        Cycle.freed_on.clear()
        Cycle()
        kept = churn_in_a_worker()
        assert Cycle.freed_on == []  # the worker's allocations did not collect it
        qtbot.waitUntil(lambda: Cycle.freed_on != [], timeout=3000)
        assert Cycle.freed_on == [threading.main_thread().name]
        del kept
    finally:
        collector.stop()
        collector.deleteLater()


def test_without_it_the_worker_would_have_freed_the_cycle():
    """The control: with Python's own collector, the thread that allocates is the one that frees."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        gc.collect()
        Cycle.freed_on.clear()
        Cycle()
        kept = churn_in_a_worker()
        assert Cycle.freed_on == ["encoder-like"]
        del kept
    finally:
        if not was_enabled:
            gc.disable()
