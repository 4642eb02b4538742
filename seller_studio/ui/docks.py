"""The window's docks: Sources (left), Audio mixer (under it), Destinations (a tab beside the mixer)
and Show (right, the show panel's).

``build_docks`` makes them with the same object names as always, so a saved window layout
(``window_layout.py``) still finds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from seller_studio.i18n import tr
from seller_studio.ui.destinations_panel import DestinationsPanel
from seller_studio.ui.mixer import MixerPanel
from seller_studio.ui.scenes import SourcesPanel


@dataclass
class Docks:
    sources_panel: SourcesPanel
    sources_dock: QDockWidget
    mixer: MixerPanel
    mixer_dock: QDockWidget
    show_dock: QDockWidget
    destinations_panel: DestinationsPanel
    destinations_dock: QDockWidget


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def build_docks(window: QMainWindow) -> Docks:
    sources_panel = SourcesPanel()
    sources_dock = add_dock(window, tr("Sources"), "sourcesDock", sources_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
    mixer = MixerPanel()
    mixer_dock = add_dock(window, tr("Audio mixer"), "mixerDock", mixer, Qt.DockWidgetArea.BottomDockWidgetArea)
    # The show panel (inventory, run of show, auction, chat) takes this dock (ui/show_panel/mount.py).
    placeholder = QLabel(tr("Show panel: inventory, run of show, auctions and chat appear here."))
    placeholder.setWordWrap(True)
    placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
    placeholder.setStyleSheet("color: #7d828a; padding: 16px;")
    show_dock = add_dock(window, tr("Show"), "showDock", placeholder, Qt.DockWidgetArea.RightDockWidgetArea)
    window.splitDockWidget(sources_dock, mixer_dock, Qt.Orientation.Vertical)
    destinations = DestinationsPanel()
    destinations_dock = add_dock(window, tr("Destinations"), "destinationsDock", destinations,
                                 Qt.DockWidgetArea.BottomDockWidgetArea)
    window.tabifyDockWidget(mixer_dock, destinations_dock)
    mixer_dock.raise_()
    return Docks(sources_panel, sources_dock, mixer, mixer_dock, show_dock, destinations, destinations_dock)
