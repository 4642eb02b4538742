"""The window's menu bar: Studio (settings, first-run setup, quit), View (the docks), Help (support)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from seller_studio.i18n import tr


def build_menus(window: Any) -> QAction:
    """Fill ``window``'s menu bar (a ``MainWindow``); returns the Settings action."""
    menu = window.menuBar().addMenu(tr("&Studio"))
    settings_action = QAction(tr("Settings…"), window)
    settings_action.setShortcut(QKeySequence("Ctrl+,"))
    settings_action.triggered.connect(window.open_settings)
    menu.addAction(settings_action)
    setup = QAction(tr("First-run setup…"), window)
    setup.triggered.connect(window.open_setup_wizard)
    menu.addAction(setup)
    menu.addSeparator()
    quit_action = QAction(tr("Quit"), window)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    menu.addAction(quit_action)
    view = window.menuBar().addMenu(tr("&View"))
    for dock in (window.sources_dock, window.mixer_dock, window.show_dock):
        view.addAction(dock.toggleViewAction())
    help_menu = window.menuBar().addMenu(tr("&Help"))
    for label, slot in (("Check my setup…", window.check_setup), ("Save support bundle…", window.save_support_bundle),
                        ("Open replay…", window.open_replay)):
        action = QAction(label, window)
        action.triggered.connect(lambda _checked=False, slot=slot: slot())  # not the bool as an argument
        help_menu.addAction(action)
    return settings_action
