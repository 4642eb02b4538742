"""Fast checks of the installer sources (the bundle build itself is test_bundle.py, marked `bundle`)."""

from __future__ import annotations

import configparser
import re
import tomllib

import cv2

from tests.helpers import REPO

INSTALLERS = REPO / "installers"
ICONS = REPO / "resources" / "icons"


def test_macos_info_plist_asks_for_camera_and_microphone():
    spec = (INSTALLERS / "pyinstaller" / "seller_studio.spec").read_text()
    bundle = spec[spec.index("BUNDLE("):]
    for key in ("NSCameraUsageDescription", "NSMicrophoneUsageDescription"):
        assert re.search(rf'"{key}": "[^"]{{20,}}"', bundle), key
    assert '"CFBundleExecutable": "SellerStudio"' in bundle


def test_spec_ships_metadata_and_lazy_imports():
    spec = (INSTALLERS / "pyinstaller" / "seller_studio.spec").read_text()
    assert 'copy_metadata("seller-studio")' in spec  # --version in the frozen app
    for name in ("seller_studio", "av", "websockets", "qasync", "keyring.backends", "_sounddevice_data"):
        assert f'"{name}"' in spec, name


def test_pyinstaller_is_pinned_and_not_a_runtime_dependency():
    reqs = (INSTALLERS / "requirements.txt").read_text()
    assert re.search(r"^pyinstaller==\d", reqs, re.M)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert "pyinstaller" not in runtime and "pillow" not in runtime


def test_inno_setup_script_uses_the_bundle_and_icon():
    iss = (INSTALLERS / "windows" / "seller_studio.iss").read_text()
    assert r"dist\seller-studio\*" in iss
    assert r"resources\icons\seller-studio.ico" in iss
    assert (ICONS / "seller-studio.ico").is_file()
    assert "SellerStudio.exe" in iss and 'name="SellerStudio"' in (
        INSTALLERS / "pyinstaller" / "seller_studio.spec").read_text()


def test_desktop_file():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(INSTALLERS / "linux" / "seller-studio.desktop")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "Seller Studio"
    assert d["Exec"].split()[0] == "seller-studio" and d["Icon"] == "seller-studio"


def test_icons_at_every_size():
    for size in (16, 24, 32, 48, 64, 128, 256, 512, 1024):
        img = cv2.imread(str(ICONS / f"seller-studio-{size}.png"), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape == (size, size, 4), size
    assert (ICONS / "seller-studio.icns").read_bytes()[:4] == b"icns"
    assert (ICONS / "seller-studio.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
