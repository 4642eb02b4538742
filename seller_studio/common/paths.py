"""Where the app keeps its files, without Qt (the UI uses QStandardPaths, which agrees on Linux).

SELLER_STUDIO_HOME overrides everything: tests and support reproductions point it at a temp dir.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "seller-studio"


def _home_override() -> Path | None:
    value = os.environ.get("SELLER_STUDIO_HOME")
    return Path(value) if value else None


def _xdg(var: str, default: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / default)


def config_dir() -> Path:
    if (home := _home_override()) is not None:
        return home / "config"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "SellerStudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Preferences" / "SellerStudio"
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def data_dir() -> Path:
    if (home := _home_override()) is not None:
        return home / "data"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "SellerStudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "SellerStudio"
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_NAME


def log_dir() -> Path:
    return data_dir() / "logs"


def ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
