from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from seller_studio.diagnostics.rtmp_server import nginx_rtmp_available
from tests.helpers import Nginx, PulseNullSink


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own app home: settings, data and logs never touch the real ones."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SELLER_STUDIO_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _qt_garbage_on_gui_thread(request):
    """In Qt tests, Python's cyclic collector runs on the GUI thread only, as in the app (ui/gui_gc.py):
    a cycle holding an earlier test's window, collected on an encoder or output thread, deletes Qt
    objects off the GUI thread and crashes the run later (a segfault in tests/ui, CI stop 22)."""
    if not {"qapp", "qtbot"} & set(request.fixturenames):
        yield
        return
    from seller_studio.ui.gui_gc import GuiThreadGarbageCollector

    collector = GuiThreadGarbageCollector(request.getfixturevalue("qapp"))
    yield
    collector.stop()  # after the test's windows are shut down and closed: their cycles go here
    collector.deleteLater()


@pytest.fixture
def file_keyring(tmp_path: Path):
    """A real keyring backend that keeps its secrets in a file under the test's temp dir."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def nginx(tmp_path: Path):
    if not nginx_rtmp_available():
        pytest.fail("nginx with libnginx-mod-rtmp is required: run scripts/setup.sh")
    server = Nginx(tmp_path / "nginx").start()
    yield server
    server.stop()


@pytest.fixture
def pulse(tmp_path_factory, monkeypatch):
    sink = PulseNullSink(Path(tmp_path_factory.mktemp("pulse-runtime"))).start()
    for key in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH"):
        monkeypatch.setenv(key, sink.env[key])
    yield sink
    from seller_studio.media.audio.microphone import close_all

    close_all()  # a stream left open on a vanished server makes PortAudio spin and spew forever
    sink.stop()


# What the suite needs besides the Python packages (scripts/setup.sh installs all of it). A missing
# piece stops the run at once with one line, instead of tests skipping silently or failing obscurely.
REQUIRED_PROGRAMS = ("ffmpeg", "ffprobe", "openssl", "nginx", "pulseaudio", "pactl", "tesseract")
REQUIRED_MODULES = ("pytestqt", "hypothesis", "keyrings.alt", "pytest_timeout")


def missing_test_dependencies() -> list[str]:
    missing = [name for name in REQUIRED_PROGRAMS if shutil.which(name) is None]
    missing += [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if shutil.which("nginx") is not None and not nginx_rtmp_available():
        missing.append("libnginx-mod-rtmp")
    return missing


def pytest_configure(config):
    missing = missing_test_dependencies()
    if missing:
        raise pytest.UsageError(f"missing test dependencies: {', '.join(missing)} - run scripts/setup.sh")
    # In-process widget tests share one QApplication, so one platform plugin for the whole run:
    # offscreen unless the caller chose one. tests/ui/test_xcb.py runs the window on xcb under Xvfb.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_report_header(config):
    return [f"Qt platform plugin for in-process widget tests: {os.environ.get('QT_QPA_PLATFORM')}"
            f" (DISPLAY={os.environ.get('DISPLAY', 'unset')})"]
