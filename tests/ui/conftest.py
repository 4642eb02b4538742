"""Fixtures for the window tests: a file-backed keyring, a window on a small canvas, the sandbox."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import keyring
import pytest
import qasync

from seller_studio.studio.sandbox_process import SandboxProcess, start_sandbox_process
from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.ui.main_window import MainWindow
from seller_studio.ui.theme import apply_dark_theme

W, H, FPS = 320, 180, 30


@pytest.fixture
def no_keyring() -> Iterator[None]:
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def small_profile() -> Profile:
    profile = Profile(name="Test")
    profile.video.width, profile.video.height, profile.video.fps, profile.video.bitrate_kbps = W, H, FPS, 600
    profile.audio.mic = "tone"
    profile.countdown_s = 0
    profile.sources = [{"id": "pattern-1", "kind": "test-pattern", "spec": "", "label": "Pattern"},
                       {"id": "text-1", "kind": "text", "spec": "Hello", "label": "Title"}]
    profile.scenes = [
        {"name": "Pattern", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None}]},
        {"name": "Titled", "canvas": [W, H], "layers": [{"source_id": "pattern-1", "rect": None},
                                                       {"source_id": "text-1", "rect": [10, 10, 120, 30]}]},
    ]
    return profile


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    with start_sandbox_process(chat_per_min=0) as sb:
        yield sb


@pytest.fixture
def make_window(qtbot, qapp, file_keyring) -> Iterator[Callable[..., MainWindow]]:
    expected = os.environ.get("SELLER_STUDIO_EXPECT_QPA")  # set by tests/ui/test_xcb.py
    if expected:
        assert qapp.platformName() == expected
        print(f"window test on the Qt platform plugin {qapp.platformName()}")
    apply_dark_theme(qapp)
    windows: list[MainWindow] = []

    def make(profile: Profile, sandbox: SandboxProcess | None = None, store: SettingsStore | None = None) -> MainWindow:
        store = store or SettingsStore()
        window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone")
        window.confirm = lambda title, text: True
        window.countdown_step_ms = 50
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.studio is not None, timeout=10_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


def simulating_window(qtbot, profile: Profile, sandbox: SandboxProcess, spec: str) -> MainWindow:
    """A window running support's ``--simulate SPEC`` against ``sandbox`` (faults count from Go Live)."""
    from seller_studio.diagnostics.studio_faults import parse_for_window

    window = MainWindow(SettingsStore(), profile, sandbox=sandbox, audio_fallback="tone",
                        simulate=parse_for_window(spec, has_sandbox=True))
    window.confirm = lambda title, text: True
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.studio is not None, timeout=10_000)
    return window


def wait_state(qtbot, window: MainWindow, state: str, timeout_ms: int = 15_000) -> None:
    qtbot.waitUntil(lambda: window.live_state == state, timeout=timeout_ms)


class PlatformWatcher:
    """The sandbox platform's own view (ingest.health / ingest.status), read on a private loop."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        from seller_studio.platform.client import PlatformClient

        self.events: list = []
        self._stop = threading.Event()
        self._client = PlatformClient(sandbox.ws_url, sandbox.token)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()

    async def _main(self) -> None:
        await self._client.connect()
        self._client.subscribe(self.events.append)
        while not self._stop.is_set():
            await asyncio.sleep(0.05)
        await self._client.close()

    def health(self) -> list[dict]:
        out = []
        for e in list(self.events):
            data = getattr(e, "__dict__", {})
            if type(e).__name__ == "IngestHealth" or getattr(e, "TYPE", "") == "ingest.health":
                out.append(data)
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def run_async(qapp: Any, make: Callable[[], Coroutine[Any, Any, Any]], timeout_s: float = 90) -> Any:
    """Run a coroutine on a qasync loop (Qt events and asyncio tasks interleave, as in the app)."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(make(), timeout_s))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def until(predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "") -> None:
    """Await a condition on the qasync loop (Qt events keep flowing meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what or predicate}")
        await asyncio.sleep(0.05)
