"""A guard against a Qt binding that loses references to None.

PySide6 6.12.0 drops one reference to ``None`` on every call of a void method (``setText``,
``setEnabled``...). Before Python 3.12 ``None`` is an ordinary counted object, so a window that
refreshes a few labels ten times a second drives its count to zero in about 40 seconds and the
interpreter aborts ("none_dealloc"). pyproject.toml keeps that release out; this guard covers an
installation that got it anyway (a hand-upgraded environment, a distribution package): it
measures the drain once at start-up and, if there is one, gives ``None`` a count no session can
use up, with a warning in the log saying what to install instead.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

PROBE_CALLS = 200
RESERVE = 1 << 40  # at 10,000 lost references per second this lasts more than three years


def drains_none(call, calls: int = PROBE_CALLS) -> bool:
    """True if ``call()`` (a void binding method) loses references to None."""
    before = sys.getrefcount(None)
    for _ in range(calls):
        call()
    return sys.getrefcount(None) < before - calls // 2


def guard_qt_binding() -> bool:
    """Check the installed PySide6 once; returns True if it had to compensate."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: lost references cannot free it
    import PySide6
    from PySide6.QtCore import QObject

    probe = QObject()
    if not drains_none(lambda: probe.setObjectName("binding-guard")):
        return False
    # CPython's PyObject starts with its reference count (Py_ssize_t) at id(obj).
    ctypes.c_ssize_t.from_address(id(None)).value += RESERVE
    log.warning("PySide6 %s loses a reference to None on every call (a bug in that release); compensated. "
                "Install PySide6-Essentials < 6.12 (pip install 'PySide6-Essentials<6.12') to remove this "
                "warning.", PySide6.__version__)
    return True
