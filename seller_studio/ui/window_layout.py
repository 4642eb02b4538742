"""Where the window's docks and size were: ``config_dir()/window.json`` (Qt's saveState, base64)."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow

from seller_studio.common import paths

log = logging.getLogger(__name__)


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


def restore_layout(window: QMainWindow) -> None:
    try:
        data = json.loads(layout_path().read_text(encoding="utf-8"))
        window.restoreGeometry(QByteArray(base64.b64decode(data["geometry"])))
        window.restoreState(QByteArray(base64.b64decode(data["state"])))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("window layout not restored (%s); using the default layout", exc)
