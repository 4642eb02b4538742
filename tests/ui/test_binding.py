"""The Qt binding itself: void calls must not lose references to None (PySide6 6.12.0 did, which
aborted the window after ~40 s on Python 3.11), and the start-up guard must catch one that does."""

from __future__ import annotations

import ctypes
import sys

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QPushButton

from seller_studio.ui.binding_guard import drains_none

pytestmark = pytest.mark.qt


def test_void_calls_keep_none_alive(qapp):
    label, button = QLabel(), QPushButton("x")
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("")
        button.setEnabled(True)
        label.setObjectName("x")
    assert sys.getrefcount(None) >= before - 50, (
        f"the Qt binding lost {before - sys.getrefcount(None)} references to None in 6000 void calls: "
        "this release aborts the app on Python 3.11; see pyproject.toml")


def test_the_guard_sees_a_binding_that_drops_none_and_not_a_healthy_one(qapp):
    probe = QObject()
    assert not drains_none(lambda: probe.setObjectName("x"))

    def leaky() -> None:  # what PySide6 6.12.0 does inside every void method
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))  # keep this test itself from draining None
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))

    if sys.version_info >= (3, 12):
        pytest.skip("None is immortal from Python 3.12: its count does not move")
    try:
        assert drains_none(leaky)
    finally:
        for _ in range(200):  # give back what the simulated leak took
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
