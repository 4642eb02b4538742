"""Fixtures for diagnostics tests: a file-backed keyring and a logging setup that is undone afterwards."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from seller_studio.diagnostics import logsetup
from seller_studio.diagnostics.redact import REDACTOR


@pytest.fixture
def session_logging() -> Iterator[None]:
    """Let a test call setup_logging in-process; restore the root logger and the crash hooks after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = (sys.excepthook, threading.excepthook)
    yield
    logsetup.finish_session()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    if not faulthandler.is_enabled():
        faulthandler.enable()
    REDACTOR.clear()


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    REDACTOR.clear()
