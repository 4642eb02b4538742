"""Fixtures for the platform tests: real servers on loopback, a controllable clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox, start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig


class FakeClock:
    """Wall-clock stand-in the tests move by hand (starts at a realistic epoch time)."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def run(coro: Coroutine[Any, Any, Any], timeout_s: float = 20.0) -> Any:
    """Run a coroutine on a fresh loop with an overall limit."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


def fast_policy() -> ReconnectPolicy:
    return ReconnectPolicy(first_delay_s=0.05, multiplier=1.5, max_delay_s=0.5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def quiet_sandbox(clock: FakeClock):
    """Embedded sandbox (no viewers, no ingest) on a fake clock."""
    sandbox = start_sandbox(SandboxConfig(port=0, token="test-token", simulate_viewers=False, clock=clock),
                            with_ingest=False)
    yield sandbox
    sandbox.stop()


def sandbox_call(sandbox: EmbeddedSandbox, fn: Any, *args: Any) -> Any:
    """Run fn(*args) on the sandbox loop and return its result."""
    async def call() -> Any:
        return fn(*args)
    return asyncio.run_coroutine_threadsafe(call(), sandbox.loop).result(5)
