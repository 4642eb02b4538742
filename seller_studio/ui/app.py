"""Start the studio window: Qt application, dark theme, qasync loop, and (demo) the sandbox.

``--demo`` starts the embedded sandbox platform and points the "Demo" profile at it, with a test
pattern when there is no camera and a tone when there is no microphone, so a newcomer can go live
in one click.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from seller_studio.common.errors import UserError
from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)


def demo_profile(store):  # -> Profile (typed loosely: imported lazily with Qt)
    profile = store.load_profile("Demo")
    profile.destination.kind = "sandbox"
    if profile.audio.mic == "auto":
        profile.audio.mic = "auto"  # falls back to the tone when no microphone exists
    return profile


# How long a thread may hold the GIL before another waiting thread gets it (Python's default: 5 ms).
# The compositor, encoder, outputs and preview scaler hold it in short bursts; at 1 ms the GUI
# thread gets it back sooner, which cut the worst event-loop stalls at 1080p (benchmarks/ui_stalls.py).
GIL_SWITCH_INTERVAL_S = 0.001


def tune_interpreter() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def make_app(argv: list[str] | None = None):  # -> (QApplication, qasync.QEventLoop)
    """The Qt application as the studio runs it: tuned interpreter, dark theme, qasync event loop.

    Shared by the window, the screenshot script and the UI stall benchmark, so what they measure
    and show is what a seller gets.
    """
    try:
        import qasync
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        raise UserError(tr_noop("the studio window needs PySide6 and qasync ({error}); reinstall Seller Studio").format(error=exc)) from None
    from seller_studio.ui.binding_guard import guard_qt_binding
    from seller_studio.ui.gui_gc import collect_on_gui_thread
    from seller_studio.ui.theme import apply_dark_theme

    guard_qt_binding()  # a binding that leaks None would abort the app ~40 s in
    tune_interpreter()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Seller Studio")
    app.setOrganizationName("SellerStudio")
    apply_dark_theme(app)
    collect_on_gui_thread(app)  # a Qt object freed on a media thread crashes Qt later
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return app, loop


# Qt's own words (standard dialog buttons, the wizard's buttons, a text field's context menu) as Qt
# writes them: our catalog translates them through ``_QtWords`` (Qt ships no Bokmål).
QT_WORDS = (
    tr_noop("OK"), tr_noop("Save"), tr_noop("Cancel"), tr_noop("Close"), tr_noop("Apply"), tr_noop("Reset"),
    tr_noop("Help"), tr_noop("Discard"), tr_noop("Open"), tr_noop("&Yes"), tr_noop("&No"), tr_noop("Abort"),
    tr_noop("Retry"), tr_noop("Ignore"), tr_noop("Restore Defaults"), tr_noop("< &Back"), tr_noop("&Next >"),
    tr_noop("&Next"), tr_noop("&Finish"), tr_noop("&Help"), tr_noop("&Undo"), tr_noop("&Redo"), tr_noop("Cu&t"),
    tr_noop("&Copy"), tr_noop("&Paste"), tr_noop("Delete"), tr_noop("Select All"),
)


def apply_language(app, choice: str | None = None) -> str:
    """The studio's language for this run: the profile's ``choice`` ("en", "nb"; "" = the system's,
    read from the environment and then ``QLocale.system()`` for Windows and macOS). Qt's own buttons
    (OK, Cancel, the wizard's Next) follow through a translator fed from the same catalog."""
    from PySide6.QtCore import QLocale, QTranslator

    from seller_studio import i18n

    class _QtWords(QTranslator):
        def translate(self, context, source, disambiguation=None, n=-1):
            if source in QT_WORDS:
                text = i18n.tr(source)
                return text if text != source else None  # None: Qt keeps its own
            return None

        def isEmpty(self) -> bool:
            return False

    language = i18n.set_language(choice, fallback_locale=QLocale.system().name())
    old = getattr(app, "_studio_qt_translator", None)
    if old is not None:
        app.removeTranslator(old)
        app._studio_qt_translator = None
    if language != i18n.SOURCE_LANGUAGE:
        translator = _QtWords(app)
        app.installTranslator(translator)
        app._studio_qt_translator = translator
        # Spin boxes and other number fields write numbers the language's way (1 299,00).
        QLocale.setDefault(QLocale(QLocale.Language.NorwegianBokmal, QLocale.Country.Norway)
                           if language == "nb" else QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    log.info("studio language: %s", language)
    return language


def quit_on_signals(window) -> None:
    """Ctrl-C (SIGINT) and SIGTERM close the window cleanly instead of raising KeyboardInterrupt in
    whatever Qt slot happens to run. Python runs its signal handlers only between bytecodes, so a
    light timer makes sure that happens even when nothing else in Python is busy."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(signum, _frame) -> None:
        if window.is_quitting:
            os._exit(128 + signum)  # a second Ctrl-C while quitting: the seller wants out now
        QTimer.singleShot(0, lambda: window.quit_on_signal(signal.Signals(signum).name))

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    window._signal_wakeup = QTimer(window)
    window._signal_wakeup.timeout.connect(lambda: None)
    window._signal_wakeup.start(250)


def run_studio(*, demo: bool = False, simulate: str | None = None, argv: list[str] | None = None,
               demo_ingest: str = "rtmp") -> int:
    from seller_studio.diagnostics.faults import PLATFORM_FAULTS
    from seller_studio.diagnostics.studio_faults import parse_for_window

    faults = parse_for_window(simulate, has_sandbox=demo)  # a bad spec is one line before any window
    app, loop = make_app(argv)
    from seller_studio.studio.settings import SettingsStore
    from seller_studio.ui.main_window import MainWindow

    store = SettingsStore()
    sandbox = None
    if demo:
        from seller_studio.studio.sandbox_process import start_sandbox_process

        profile = demo_profile(store)
        store.save_profile(profile, make_active=False)
        # The demo platform prices its show in the seller's currency from the start (welcome).
        sandbox = start_sandbox_process(fault_control=any(f.kind in PLATFORM_FAULTS for f in faults),
                                        extra_args=["--currency", profile.show_currency], protocol=demo_ingest)
    else:
        profile = store.load_profile()
    apply_language(app, profile.language)
    window = MainWindow(store, profile, sandbox=sandbox, audio_fallback="tone" if demo else "silence",
                        simulate=faults)
    window.show()
    log.info("studio window shown%s", " (demo)" if demo else "")
    quit_on_signals(window)
    if not demo and not store.load_state().get("first_run_done"):
        # First run: the wizard opens over the window once the event loop runs.
        from PySide6.QtCore import QTimer

        QTimer.singleShot(300, window.open_setup_wizard)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    loop.create_task(window.connect_platform())
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    finally:
        if sandbox is not None:
            sandbox.stop()
        window.shutdown()
    # Everything is saved and stopped: skip interpreter teardown, where PySide6 and qasync objects
    # freed in the wrong order can crash ("bool_dealloc") and turn a clean quit into a crash report.
    from seller_studio.diagnostics.logsetup import finish_session

    finish_session()  # atexit does not run after os._exit: drop the empty crash file here
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
