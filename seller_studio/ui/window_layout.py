"""Where the window's docks and size were: ``config_dir()/window.json`` (Qt's saveState, base64)."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow

from seller_studio.common import paths
from seller_studio.i18n import tr_noop
from seller_studio.studio.settings import quarantine, read_json_defensively

log = logging.getLogger(__name__)
QT_GEOMETRY_MAGIC = bytes.fromhex("01d9d0cb")  # QWidget::saveGeometry's first four bytes


def layout_path() -> Path:
    return paths.config_dir() / "window.json"


def save_layout(window: QMainWindow) -> None:
    data = {"geometry": base64.b64encode(bytes(window.saveGeometry())).decode("ascii"),
            "state": base64.b64encode(bytes(window.saveState())).decode("ascii")}
    try:
        path = layout_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")
    except OSError as exc:
        log.warning("window layout not saved: %s", exc)


def restore_layout(window: QMainWindow) -> str | None:
    """Restore the saved layout. A damaged window.json is moved aside and the default layout used;
    returns the one-line notice for the window then (None otherwise)."""
    path = layout_path()
    data, notice = read_json_defensively(path, tr_noop("window layout"))
    if data is None:
        return notice
    try:
        if not isinstance(data, dict):
            raise ValueError(tr_noop("not a JSON object"))
        geometry = base64.b64decode(data["geometry"], validate=True)
        state = base64.b64decode(data["state"], validate=True)
        if geometry[:4] != QT_GEOMETRY_MAGIC:
            raise ValueError(tr_noop("not a saved window geometry"))
        if not window.restoreGeometry(QByteArray(geometry)):
            # Well-formed, but Qt will not place it on the screens there are now (saved on a monitor
            # that is gone, another resolution): not damage. The default size is used, the docks
            # are still restored, and the layout saved on quit replaces it.
            log.info("saved window geometry does not fit the screens now; using the default size")
        if not window.restoreState(QByteArray(state)):  # e.g. from an older layout of the docks: not damage
            log.info("saved dock layout not restored; using the default one")
    except (ValueError, KeyError, TypeError) as exc:
        return quarantine(path, tr_noop("window layout"), str(exc)[:80] or type(exc).__name__)
    return None
